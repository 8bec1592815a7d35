// vaultgate's test build of ESO: only the Vault generator is registered (see
// provider-register.go beside this file for why).
package register

import (
	_ "github.com/external-secrets/external-secrets/pkg/generator/vault"
)
