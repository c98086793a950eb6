package browser

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/configmat/configmat/adapters/console"
)

// Rules every console page's HTML keeps (no browser needed).
var (
	scriptElement = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	styleAttr     = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	handlerAttr   = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	// hostRef is a URL naming a host: scheme://host or protocol-relative
	// //host, anywhere in a page, script or style sheet.
	hostRef = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>)]+|["'(\s=]//[a-z0-9-]+(\.[a-z0-9-]+)+`)
)

// TestConsoleOverHTTP fetches every file the console serves from the real
// binary: each carries the Content-Security-Policy (no unsafe-inline or
// unsafe-eval, frame-ancestors 'none'), nosniff and no-referrer; no page
// has an inline script body or a style or on* attribute; nothing names
// another host. GET / redirects to the console, and a state-changing
// request with a foreign Origin is refused.
func TestConsoleOverHTTP(t *testing.T) {
	srv := startServer(t, true)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %d to %q, want 302 to /console/", res.StatusCode, res.Header.Get("Location"))
	}
	c := console.New()
	pages := map[string]bool{}
	for _, p := range c.Pages() {
		pages[p] = true
	}
	if len(pages) < 8 {
		t.Fatalf("only %d pages: %v", len(pages), c.Pages())
	}
	for _, p := range c.Paths() {
		t.Run(p, func(t *testing.T) {
			path := p
			if path == console.Base {
				path += "/"
			}
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if res.Header.Get("X-RateLimit-Limit") != "" {
				t.Errorf("a console file is rate limited")
			}
			checkHeaders(t, res.Header, pages[p])
			// The SVG namespace is a name that no browser fetches.
			if m := hostRef.Find([]byte(strings.ReplaceAll(string(body), `xmlns="http://www.w3.org/2000/svg"`, ""))); m != nil {
				t.Errorf("references another host: %q", m)
			}
			if pages[p] {
				checkPage(t, string(body))
			}
		})
	}
	for _, method := range []string{http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut} {
		req, _ := http.NewRequest(method, srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"0123456789"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://attacker.example")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"code":"PERMISSION_DENIED"`) {
			t.Errorf("%s with a foreign Origin: %d %s, want 403 PERMISSION_DENIED", method, res.StatusCode, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"0123456789"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the server's own Origin: %d, want 401 INVALID_CREDENTIALS", res.StatusCode)
	}
}

// checkHeaders asserts the security headers of one console answer.
func checkHeaders(t *testing.T, h http.Header, page bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
		"base-uri 'none'", "form-action 'self'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "data:", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("Content-Security-Policy %q allows %s", csp, bad)
		}
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	if page && h.Get("Cache-Control") != "no-store" {
		t.Errorf("page Cache-Control %q, want no-store", h.Get("Cache-Control"))
	}
}

// checkPage asserts the HTML rules of one page.
func checkPage(t *testing.T, html string) {
	t.Helper()
	scripts := scriptElement.FindAllStringSubmatch(html, -1)
	if len(scripts) == 0 {
		t.Errorf("no script element")
	}
	for _, m := range scripts {
		if strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script body: %.80q", m[2])
		}
		if !strings.Contains(m[1], `src="/console/static/`) {
			t.Errorf("a script that is not the console's own: %q", m[1])
		}
	}
	if m := styleAttr.FindString(html); m != "" {
		t.Errorf("style attribute: %.80q", m)
	}
	if m := handlerAttr.FindString(html); m != "" {
		t.Errorf("on* attribute: %.80q", m)
	}
	if strings.Contains(strings.ToLower(html), "<style") {
		t.Errorf("a style element")
	}
}
