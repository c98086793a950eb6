package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/configmat/configmat/adapters/console"
)

// get answers one request of the console.
func get(t *testing.T, c *console.Console, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec.Result()
}

// The checks every page's HTML must pass; Check in test/browser runs the
// same rules against the real binary's answers.
var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	styleAttr   = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	handlerAttr = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	styleTag    = regexp.MustCompile(`(?i)<style\b`)
	// otherHost matches a URL with a host: http(s)://, protocol-relative
	// //host, in an attribute, a CSS url() or a script's import.
	otherHost = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|(src|href|action)\s*=\s*["']?(https?:|//)`)
)

func TestPagesAndFiles(t *testing.T) {
	c := console.New()
	pages := c.Pages()
	for _, want := range []string{"/console", "/console/assets", "/console/asset", "/console/promote", "/console/history",
		"/console/api-keys", "/console/members", "/console/audit"} {
		found := false
		for _, p := range pages {
			found = found || p == want
		}
		if !found {
			t.Errorf("page %s missing from %v", want, pages)
		}
	}
	for _, p := range c.Paths() {
		t.Run(p, func(t *testing.T) {
			res := get(t, c, http.MethodGet, p, nil)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %s", csp, want)
				}
			}
			for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "data:", "http:", "https:"} {
				if strings.Contains(csp, bad) {
					t.Errorf("CSP %q allows %s", csp, bad)
				}
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy %q", got)
			}
			if m := otherHost.Find(withoutSVGNamespace(body)); m != nil {
				t.Errorf("references another host: %q", m)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				if strings.HasSuffix(p, ".js") && res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
					t.Errorf("script served as %q", res.Header.Get("Content-Type"))
				}
				if strings.Contains(string(body), "innerHTML") || strings.Contains(string(body), "insertAdjacentHTML") ||
					strings.Contains(string(body), "document.write") || regexp.MustCompile(`\beval\(|new Function\(`).Match(body) {
					t.Errorf("%s writes HTML or evaluates text", p)
				}
				return
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("page Cache-Control %q, want no-store", got)
			}
			html := string(body)
			for _, m := range scriptTag.FindAllStringSubmatch(html, -1) {
				if strings.TrimSpace(m[2]) != "" {
					t.Errorf("inline script body: %.80q", m[2])
				}
				if !strings.Contains(m[1], `src="/console/static/`) {
					t.Errorf("script %q is not one of the console's files", m[1])
				}
			}
			for name, re := range map[string]*regexp.Regexp{"style attribute": styleAttr, "on* attribute": handlerAttr, "style element": styleTag} {
				if m := re.FindString(html); m != "" {
					t.Errorf("%s: %.80q", name, m)
				}
			}
			checkLabels(t, html)
		})
	}
}

// checkLabels asserts that every input, select and textarea of a page has
// a <label for> naming its id.
func checkLabels(t *testing.T, html string) {
	t.Helper()
	controls := regexp.MustCompile(`(?is)<(input|select|textarea)\b([^>]*)>`)
	id := regexp.MustCompile(`\bid="([^"]+)"`)
	for _, m := range controls.FindAllStringSubmatch(html, -1) {
		if strings.Contains(m[2], `type="hidden"`) {
			continue
		}
		ids := id.FindStringSubmatch(m[2])
		if ids == nil {
			t.Errorf("%s without an id (and so without a label): %q", m[1], m[0])
			continue
		}
		if !strings.Contains(html, `<label for="`+ids[1]+`"`) {
			t.Errorf("%s #%s has no <label for>", m[1], ids[1])
		}
	}
}

func TestAnswers(t *testing.T) {
	c := console.New()
	tests := []struct {
		name, method, path string
		header             http.Header
		status             int
	}{
		{"sign-in page", http.MethodGet, "/console", nil, http.StatusOK},
		{"trailing slash", http.MethodGet, "/console/assets/", nil, http.StatusOK},
		{"head", http.MethodHead, "/console/audit", nil, http.StatusOK},
		{"unknown page", http.MethodGet, "/console/nope", nil, http.StatusNotFound},
		{"html file name", http.MethodGet, "/console/assets.html", nil, http.StatusNotFound},
		{"post", http.MethodPost, "/console", nil, http.StatusNotFound},
		{"revalidated script", http.MethodGet, "/console/static/api.js", http.Header{"If-None-Match": {"*"}}, http.StatusNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, c, tt.method, tt.path, tt.header)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if res.Header.Get("Content-Security-Policy") != console.ContentSecurityPolicy {
				t.Errorf("no CSP on a %d answer", res.StatusCode)
			}
		})
	}
}

// withoutSVGNamespace removes the SVG namespace declaration, a name that
// no browser fetches.
func withoutSVGNamespace(b []byte) []byte {
	return []byte(strings.ReplaceAll(string(b), `xmlns="http://www.w3.org/2000/svg"`, ""))
}
