package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestNewServerTimeouts(t *testing.T) {
	h := http.NotFoundHandler()
	srv := NewServer(":0", h)
	cases := []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 5 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, 30 * time.Second},
		{"WriteTimeout", srv.WriteTimeout, 30 * time.Second},
		{"IdleTimeout", srv.IdleTimeout, 120 * time.Second},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if srv.MaxHeaderBytes != 64<<10 || srv.Addr != ":0" || srv.Handler == nil {
		t.Errorf("server = %+v", srv)
	}
}

func TestNewRefusesMissingServices(t *testing.T) {
	hub := newTestAPI(t).watch
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no catalog", Config{Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Watch: hub}},
		{"no identity", Config{Catalog: &fakeCatalog{}, Audit: &fakeAudit{}, Watch: hub}},
		{"no audit", Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Watch: hub}},
		{"no watch", Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New did not panic")
				}
			}()
			New(tc.cfg)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	std := logrus.StandardLogger()
	out := std.Out
	std.SetOutput(io.Discard)
	t.Cleanup(func() { std.SetOutput(out) })
	h := New(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Watch: newTestAPI(t).watch})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health/detailed", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without checks, detailed health = %d, want 503", rec.Code)
	}
	for _, h := range []string{"Cache-Control", "X-Content-Type-Options", requestIDHeader} {
		if rec.Header().Get(h) == "" {
			t.Errorf("%s not set", h)
		}
	}
}
