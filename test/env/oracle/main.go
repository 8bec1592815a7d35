// The Go side of vaultgate's differential tests (test/unit/go-semantics.test.ts and
// test/unit/go-template.test.ts): it answers what real Go says about the behaviours vaultgate
// reproduces in TypeScript, one JSON line in, one JSON line out, in order, so one process
// serves a whole corpus.
//
//	{"op":"gjson","json":"...","path":"..."}          gjson.Get the way ESO's Vault provider calls it:
//	                                                  json decoded with UseNumber (as the Vault API
//	                                                  client does), re-marshalled, then gjson.Get;
//	                                                  "numbers":"float64" decodes numbers as float64
//	{"op":"gjsonraw","json":"...","path":"..."}       gjson.Get on the text exactly as given
//	{"op":"regexp","pattern":"...","input":"..."}     regexp.Compile, then MatchString
//	{"op":"duration","text":"..."}                    time.ParseDuration
//	{"op":"clean","path":"..."}                       path.Clean
//	{"op":"join","elems":["...",...]}                 path.Join
//	{"op":"parsefloat","text":"..."}                  strconv.ParseFloat(text, 64), as IEEE bits
//	{"op":"formatfloat","bits":"..."}                 strconv.FormatFloat(f, 'f', -1, 64)
//	{"op":"template","name":"k","text":"...","data":{...}}
//	                                                  text/template as ESO v0.20.4 renders one
//	                                                  template.data entry (its pkg/template/v2
//	                                                  execute, without the "at key" wrapping):
//	                                                  output bytes as base64, or the parse or
//	                                                  execution error text
//	{"op":"keysandvalues","text":"...","data":{...}}
//	                                                  ESO v0.20.4's mapScopeApply (templateFrom literal
//	                                                  and KeysAndValues): the template named by its own
//	                                                  text renders YAML, read by sigs.k8s.io/yaml into
//	                                                  map[string]string: "map" (values as base64) or
//	                                                  "error" with ESO's wrapping
//	{"op":"base64","encoding":"std|url","text":"..."} base64.StdEncoding/URLEncoding.DecodeString
//	{"op":"base32","text":"..."}                      base32.StdEncoding.DecodeString
//	{"op":"rewrite","rewrite":[...],"in":{"k":"<base64>",...}}
//	                                                  ESO v0.20.4's dataFrom rewrite (esutils.RewriteMap:
//	                                                  merge, regexp, transform) on keys and value bytes:
//	                                                  "out" (values as base64) or "error"; "ambiguous"
//	                                                  when two keys became one, where Go's map order
//	                                                  picks the winner
//
// Invariant: every request gets exactly one answer line, even when Go panics (reported as
// "panic") or the request is malformed (reported as "bad").
package main

import (
	"bufio"
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/tidwall/gjson"
	"sigs.k8s.io/yaml"
)

type request struct {
	Op       string            `json:"op"`
	Name     string            `json:"name"`
	Data     map[string]string `json:"data"`
	Encoding string            `json:"encoding"`
	JSON     string            `json:"json"`
	Path     string            `json:"path"`
	Numbers  string            `json:"numbers"`
	Pattern  string            `json:"pattern"`
	Input    string            `json:"input"`
	Text     string            `json:"text"`
	Elems    []string          `json:"elems"`
	Bits     string            `json:"bits"`
	Rewrite  []rewriteOp       `json:"rewrite"`
	In       map[string][]byte `json:"in"`
}

// rewriteOp mirrors ESO's ExternalSecretRewrite (apis/externalsecrets/v1) by its JSON names.
type rewriteOp struct {
	Merge *struct {
		Into           string   `json:"into"`
		Priority       []string `json:"priority"`
		PriorityPolicy string   `json:"priorityPolicy"`
		ConflictPolicy string   `json:"conflictPolicy"`
		Strategy       string   `json:"strategy"`
	} `json:"merge"`
	Regexp *struct {
		Source string `json:"source"`
		Target string `json:"target"`
	} `json:"regexp"`
	Transform *struct {
		Template string `json:"template"`
	} `json:"transform"`
}

type answer map[string]any

var typeNames = map[gjson.Type]string{
	gjson.Null: "null", gjson.False: "false", gjson.Number: "number",
	gjson.String: "string", gjson.True: "true", gjson.JSON: "json",
}

func gjsonAnswer(text, query string) answer {
	r := gjson.Get(text, query)
	return answer{"exists": r.Exists(), "type": typeNames[r.Type], "raw": r.Raw, "str": r.String()}
}

// remarshal does what ESO does with a Vault secret's data: the API client decodes the
// response with UseNumber, and the provider json.Marshals the data map before gjson.Get.
func remarshal(text string, float bool) (string, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	if !float {
		dec.UseNumber()
	}
	var value any
	if err := dec.Decode(&value); err != nil {
		return "", err
	}
	out, err := json.Marshal(value)
	return string(out), err
}

func answerFor(req request) (a answer) {
	defer func() {
		if p := recover(); p != nil {
			a = answer{"panic": fmt.Sprint(p)}
		}
	}()
	switch req.Op {
	case "gjson":
		text, err := remarshal(req.JSON, req.Numbers == "float64")
		if err != nil {
			return answer{"bad": err.Error()}
		}
		a := gjsonAnswer(text, req.Path)
		a["marshalled"] = text
		return a
	case "gjsonraw":
		return gjsonAnswer(req.JSON, req.Path)
	case "regexp":
		re, err := regexp.Compile(req.Pattern)
		if err != nil {
			return answer{"error": err.Error()}
		}
		return answer{"match": re.MatchString(req.Input)}
	case "duration":
		d, err := time.ParseDuration(req.Text)
		if err != nil {
			return answer{"error": err.Error()}
		}
		return answer{"ns": strconv.FormatInt(int64(d), 10), "ms": float64(d) / float64(time.Millisecond)}
	case "clean":
		return answer{"result": path.Clean(req.Path)}
	case "join":
		return answer{"result": path.Join(req.Elems...)}
	case "parsefloat":
		f, err := strconv.ParseFloat(req.Text, 64)
		a := answer{"bits": strconv.FormatUint(math.Float64bits(f), 10)}
		if err != nil {
			a["error"] = err.Error()
		}
		return a
	case "template":
		return templateAnswer(req.Name, req.Text, req.Data)
	case "base64":
		enc := base64.StdEncoding
		if req.Encoding == "url" {
			enc = base64.URLEncoding
		}
		return decodedAnswer(enc.DecodeString(req.Text))
	case "base32":
		return decodedAnswer(base32.StdEncoding.DecodeString(req.Text))
	case "keysandvalues":
		return keysAndValuesAnswer(req.Text, req.Data)
	case "rewrite":
		return rewriteAnswer(req.Rewrite, req.In)
	case "formatfloat":
		bits, err := strconv.ParseUint(req.Bits, 10, 64)
		if err != nil {
			return answer{"bad": err.Error()}
		}
		return answer{"result": strconv.FormatFloat(math.Float64frombits(bits), 'f', -1, 64)}
	}
	return answer{"bad": "unknown op " + strconv.Quote(req.Op)}
}

// esoFuncs is ESO's template FuncMap (pkg/template/v2/template.go): sprig's TxtFuncMap (from
// ESO's fork, by the replace in go.mod) without env and expandenv, plus ESO's own functions.
// toYaml and fromYaml are copied from ESO (pkg/template/v2/yaml.go); the other ESO functions
// (PKCS#12, PEM, JWK, getSecretKey, rsaDecrypt) are stubs that fail: vaultgate declines them,
// so no case compares their output, but their names must parse as they do in ESO. Importing
// ESO itself would compile some 840 packages (Kubernetes clients and providers) for this.
var esoFuncs = func() template.FuncMap {
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	for _, name := range []string{"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "pemToPkcs12", "pemToPkcs12Pass",
		"fullPemToPkcs12", "fullPemToPkcs12Pass", "pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass", "filterPEM", "filterCertChain",
		"jwkPublicKeyPem", "jwkPrivateKeyPem", "getSecretKey", "rsaDecrypt"} {
		funcs[name] = func(...any) (string, error) { return "", fmt.Errorf("not in the oracle") }
	}
	return funcs
}()

// toYAML is ESO's (pkg/template/v2/yaml.go), verbatim.
func toYAML(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

// fromYAML is ESO's (pkg/template/v2/yaml.go), verbatim.
func fromYAML(str string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// templateAnswer renders one template the way ESO's execute does (same options, same data
// type), without ESO's "unable to ... at key" wrapping, which vaultgate adds itself.
func templateAnswer(name, text string, data map[string]string) answer {
	if data == nil {
		data = map[string]string{}
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(esoFuncs).Parse(text)
	if err != nil {
		return answer{"parseError": err.Error()}
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return answer{"execError": err.Error()}
	}
	return answer{"output": base64.StdEncoding.EncodeToString(out.Bytes())}
}

// keysAndValuesAnswer follows ESO's mapScopeApply: execute(tpl, tpl, data), then the YAML.
func keysAndValuesAnswer(text string, data map[string]string) answer {
	t, err := template.New(text).Option("missingkey=error").Funcs(esoFuncs).Parse(text)
	if err != nil {
		return answer{"error": fmt.Sprintf("unable to execute template at key %s: unable to parse template at key %s: %s", text, text, err)}
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return answer{"error": fmt.Sprintf("unable to execute template at key %s: unable to execute template at key %s: %s", text, text, err)}
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(out.Bytes(), &m); err != nil {
		return answer{"error": fmt.Sprintf("could not unmarshal template to 'map[string][]byte': %s", err)}
	}
	encoded := map[string]string{}
	for k, v := range m {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return answer{"map": encoded}
}

// rewriteAnswer follows ESO's esutils.RewriteMap step for step (the operations, their order,
// their error texts, GetByteValue and JSONMarshal), with Go's own json, regexp and template.
func rewriteAnswer(ops []rewriteOp, in map[string][]byte) answer {
	ambiguous := false
	out := in
	for i, op := range ops {
		next, err := rewriteOne(op, out, &ambiguous)
		if err != nil {
			return answer{"error": fmt.Sprintf("failed rewrite operation[%v]: %v", i, err), "ambiguous": ambiguous}
		}
		out = next
	}
	return answer{"out": out, "ambiguous": ambiguous}
}

func rewriteOne(op rewriteOp, in map[string][]byte, ambiguous *bool) (map[string][]byte, error) {
	switch {
	case op.Merge != nil:
		return rewriteMerge(op, in)
	case op.Regexp != nil:
		re, err := regexp.Compile(op.Regexp.Source)
		if err != nil {
			return nil, fmt.Errorf("regexp failed with failed to compile: %w", err)
		}
		out := map[string][]byte{}
		for key, value := range in {
			out[re.ReplaceAllString(key, op.Regexp.Target)] = value
		}
		*ambiguous = *ambiguous || len(out) != len(in)
		return out, nil
	case op.Transform != nil:
		t, err := template.New("transform").Funcs(esoFuncs).Parse(op.Transform.Template)
		if err != nil {
			return nil, fmt.Errorf("transform failed with failed to parse template: %w", err)
		}
		out := map[string][]byte{}
		for key, value := range in {
			var buf bytes.Buffer
			if err := t.Execute(&buf, map[string]string{"value": key}); err != nil {
				// Which key fails first depends on Go's map order when several would.
				*ambiguous = *ambiguous || len(in) > 1
				return nil, fmt.Errorf("transform failed with failed to execute template for key %q: %w", key, err)
			}
			out[buf.String()] = value
		}
		*ambiguous = *ambiguous || len(out) != len(in)
		return out, nil
	}
	return in, nil
}

func rewriteMerge(op rewriteOp, in map[string][]byte) (map[string][]byte, error) {
	m := op.Merge
	keys := []string{}
	for k := range in {
		if !slices.Contains(m.Priority, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = append(keys, m.Priority...)
	merged := map[string]any{}
	conflicts := []string{}
	for _, key := range keys {
		value, exists := in[key]
		if !exists {
			if m.PriorityPolicy == "IgnoreNotFound" {
				continue
			}
			return nil, fmt.Errorf("merge failed with key %q not found in input map", key)
		}
		var object map[string]any
		if err := json.Unmarshal(value, &object); err != nil {
			return nil, fmt.Errorf("merge failed with failed to unmarshal JSON: %w", err)
		}
		for k, v := range object {
			if _, seen := merged[k]; seen {
				conflicts = append(conflicts, k)
			}
			merged[k] = v
		}
	}
	if m.ConflictPolicy != "Ignore" && len(conflicts) > 0 {
		// Go's map order shuffles these; sorted, so the test can compare them.
		sort.Strings(conflicts)
		return nil, fmt.Errorf("merge failed with conflicts: %v", strings.Join(conflicts, ", "))
	}
	out := map[string][]byte{}
	switch m.Strategy {
	case "Extract", "":
		for k, v := range merged {
			b, err := byteValue(v)
			if err != nil {
				return nil, fmt.Errorf("merge failed with failed to convert value to []byte: %w", err)
			}
			out[k] = b
		}
	case "JSON":
		if m.Into == "" {
			return nil, fmt.Errorf("merge failed with missing 'into' field")
		}
		buffer := &bytes.Buffer{}
		encoder := json.NewEncoder(buffer)
		encoder.SetEscapeHTML(false)
		if err := encoder.Encode(merged); err != nil {
			return nil, fmt.Errorf("merge failed with failed to marshal merged map: %w", err)
		}
		maps.Copy(out, in)
		out[m.Into] = bytes.TrimRight(buffer.Bytes(), "\n")
	default:
		return nil, nil
	}
	return out, nil
}

// byteValue is ESO's GetByteValue for what json.Unmarshal puts in an interface{}.
func byteValue(v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return []byte(t), nil
	case map[string]any, []any:
		return json.Marshal(t)
	case float64:
		return []byte(strconv.FormatFloat(t, 'f', -1, 64)), nil
	case bool:
		return []byte(strconv.FormatBool(t)), nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected type %T", v)
}

func decodedAnswer(out []byte, err error) answer {
	if err != nil {
		return answer{"error": err.Error()}
	}
	return answer{"bytes": base64.StdEncoding.EncodeToString(out)}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<28)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		var a answer
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			a = answer{"bad": err.Error()}
		} else {
			a = answerFor(req)
		}
		if err := enc.Encode(a); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
