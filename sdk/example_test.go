package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/configmat/configmat/sdk"
)

// body is what the stand-in server answers: version 3 of billing in prod.
const body = `{"asset":"billing","environment":"prod","version":3,"config":{` +
	`"database":{"host":"db.internal","port":5432},"http":{"timeout":"1m30s","debug":false}}}`

// standIn answers the values route and the watch route as a ConfigMat
// server would, for the API key "cmk_example"; its stream sends the
// configuration and then says that the asset was deleted.
func standIn() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "cmk_example" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"INVALID_API_KEY","message":"The API key is not valid."}}`)
			return
		}
		switch r.URL.Path {
		case "/api/v1/assets/billing/values":
			w.Header().Set("ETag", `"v3"`)
			if r.Header.Get("If-None-Match") == `"v3"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		case "/api/v1/assets/billing/values/watch":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "event: config\nid: v3\ndata: "+body+"\n\n")
			_, _ = io.WriteString(w, "event: deleted\ndata: {\"asset\":\"billing\"}\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
}

// An application reads its configuration once, with typed accessors.
func Example() {
	server := standIn()
	defer server.Close()

	client, err := sdk.New(server.URL, "cmk_example")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := client.Get(context.Background(), "billing", "prod")
	if err != nil {
		fmt.Println(err)
		return
	}
	host, _ := cfg.String("database", "host")
	port, _ := cfg.Int("database", "port")
	timeout, _ := cfg.Duration("http", "timeout")
	debug, _ := cfg.Bool("http", "debug")
	fmt.Printf("version %d: %s:%d, timeout %s, debug %t\n", cfg.Version, host, port, timeout, debug)

	var typed struct {
		Database struct {
			Host string `json:"host"`
			Port int    `json:"port"`
		} `json:"database"`
	}
	if err := cfg.Decode(&typed); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("decoded:", typed.Database.Host, typed.Database.Port)

	if _, err := cfg.String("database", "user"); errors.Is(err, sdk.ErrKeyNotFound) {
		fmt.Println(err)
	}
	// Output:
	// version 3: db.internal:5432, timeout 1m30s, debug false
	// decoded: db.internal 5432
	// configmat: database.user is not in the configuration
}

// An application follows its configuration; here the stand-in's stream
// delivers version 3 and then says the asset was deleted, which ends Watch.
func ExampleClient_Watch() {
	server := standIn()
	defer server.Close()

	client, err := sdk.New(server.URL, "cmk_example")
	if err != nil {
		fmt.Println(err)
		return
	}
	err = client.Watch(context.Background(), "billing", "prod", func(cfg *sdk.Config) {
		host, _ := cfg.String("database", "host")
		fmt.Printf("apply version %d (database %s)\n", cfg.Version, host)
	})
	fmt.Println("deleted:", errors.Is(err, sdk.ErrDeleted))
	// Output:
	// apply version 3 (database db.internal)
	// deleted: true
}

// Errors of the server carry the contract's code.
func ExampleError() {
	server := standIn()
	defer server.Close()

	client, _ := sdk.New(server.URL, "cmk_wrong")
	_, err := client.Get(context.Background(), "billing", "prod")
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output: 401 INVALID_API_KEY
}
