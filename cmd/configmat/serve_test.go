package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/keys"
)

// TestShutdownExitStatus: serve drains in-flight requests on a shutdown and
// exits 0; a request still running at the limit is cut and serve answers
// exit status 1, logging one error line.
func TestShutdownExitStatus(t *testing.T) {
	tests := []struct {
		name     string
		holdFor  time.Duration
		wantCode int
	}{
		{"drained in time", 0, 0},
		{"forced at the limit", time.Hour, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, hook := logtest.NewNullLogger()
			a := &app{settings: Settings{DatabaseURL: "sqlite:unused.db"}, logger: logger, shutdownTimeout: 200 * time.Millisecond}
			entered, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-time.After(tt.holdFor):
				case <-release:
				}
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(t.Context())
			defer stop()
			served := make(chan error, 1)
			go func() {
				served <- a.serve(ctx, env{stdout: io.Discard, stderr: io.Discard}, httpapi.NewServer(ln.Addr().String(), handler), ln)
			}()
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err == nil {
					_ = resp.Body.Close()
				}
			}()
			<-entered
			stop()
			if code := exitStatus(env{stderr: io.Discard}, <-served); code != tt.wantCode {
				t.Fatalf("exit status %d, want %d", code, tt.wantCode)
			}
			forced := 0
			for _, e := range hook.AllEntries() {
				if e.Level <= logrus.WarnLevel {
					forced++
				}
			}
			if want := tt.wantCode; forced != want {
				t.Errorf("%d warning or error lines, want %d: %v", forced, want, hook.AllEntries())
			}
		})
	}
}

// TestEncryptionCheck: the check is healthy when the key unwraps the stored
// data key, unhealthy when it does not, and unknown, saying why, when the
// database cannot be read.
func TestEncryptionCheck(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "configmat.db"))
	if err != nil {
		t.Fatal(err)
	}
	right := mustKEK(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	wrong := mustKEK(t, "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	a := newAppOver(store, right)
	if _, err := a.core.Identity.CreateTenant(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	b := newAppOver(store, wrong)
	check := func(a *app) (map[string]any, bool) {
		return encryptionCheck(a.store, a.core.Keys, a.kek.ID())(ctx)
	}
	if got, ok := check(a); !ok || got["status"] != "healthy" {
		t.Errorf("right key: %v, %v", got, ok)
	}
	if got, ok := check(b); ok || got["status"] != "unhealthy" {
		t.Errorf("wrong key: %v, %v; want unhealthy", got, ok)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	got, ok := check(a)
	if ok || got["status"] != "unknown" || got["reason"] != "could not run: the database is unavailable, so no stored data key could be read" {
		t.Errorf("database down: %v, %v; want unknown with the reason", got, ok)
	}
	if _, blames := got["error"]; blames {
		t.Errorf("database down: the check blames itself: %v", got)
	}
}

func mustKEK(t *testing.T, hex string) *keys.KEK {
	t.Helper()
	k, err := keys.ParseKEK(hex)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newAppOver wires an app over an open embedded store.
func newAppOver(st *sqlite.Store, kek *keys.KEK) *app {
	a := &app{store: sqliteBackend{st}, kek: kek}
	a.core = core.New(core.Deps{Tx: a.store, KEK: kek})
	return a
}
