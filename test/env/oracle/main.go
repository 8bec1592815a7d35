// The Go side of vaultgate's differential tests (test/unit/go-semantics.test.ts): it answers
// what real Go says about the four behaviours vaultgate reproduces in TypeScript, one JSON
// line in, one JSON line out, in order, so one process serves a whole corpus.
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
//
// Invariant: every request gets exactly one answer line, even when Go panics (reported as
// "panic") or the request is malformed (reported as "bad").
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

type request struct {
	Op      string   `json:"op"`
	JSON    string   `json:"json"`
	Path    string   `json:"path"`
	Numbers string   `json:"numbers"`
	Pattern string   `json:"pattern"`
	Input   string   `json:"input"`
	Text    string   `json:"text"`
	Elems   []string `json:"elems"`
	Bits    string   `json:"bits"`
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
	case "formatfloat":
		bits, err := strconv.ParseUint(req.Bits, 10, 64)
		if err != nil {
			return answer{"bad": err.Error()}
		}
		return answer{"result": strconv.FormatFloat(math.Float64frombits(bits), 'f', -1, 64)}
	}
	return answer{"bad": "unknown op " + strconv.Quote(req.Op)}
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
