module vaultgate.dev/testenv/eso

go 1.25.1

require github.com/external-secrets/external-secrets v0.20.4
