// Package sdk is the Go client of ConfigMat for applications: it reads an
// asset's resolved configuration in one environment with an API key, and
// follows its changes.
//
//	client, err := sdk.New("https://configmat.example.com", os.Getenv("CONFIGMAT_API_KEY"),
//		sdk.WithFallbackFile("/var/lib/billing/configmat.fallback"))
//	cfg, err := client.Get(ctx, "billing", "prod")
//	host, err := cfg.String("database", "host")
//
//	err = client.Watch(ctx, "billing", "prod", func(cfg *sdk.Config) { apply(cfg) })
//
// Get sends the ETag it holds (If-None-Match) and reuses its copy on 304.
// Watch follows the server's watch stream (server-sent events), reconnects
// with exponential backoff and full jitter, resumes with Last-Event-ID, and
// long-polls when a proxy refuses to stream. With a fallback file, every
// configuration read is also kept on disk, encrypted under a key derived
// from the API key, and answers when the server cannot be reached.
//
// Errors of the server are *Error values with the contract's code
// (INVALID_API_KEY, ASSET_NOT_FOUND, ...); a server that cannot be reached
// gives an error matching ErrUnreachable. No error, log record or file of
// the SDK holds the API key or a plaintext value.
//
// The package uses the standard library only.
package sdk
