package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// Base is the path the console is served under.
const Base = "/console"

// files holds the pages (web/*.html) and their scripts and styles
// (web/static/).
//
//go:embed web
var files embed.FS

// ContentSecurityPolicy is sent with every answer of the console: only this
// origin's scripts (no inline script, no eval), styles (no style attribute)
// and connections; no plugin, no base URL, no framing, forms posting only
// here; and Trusted Types with no policy, so that a browser refuses every
// HTML-parsing sink (innerHTML and its kin) outright.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// securityHeaders are set on every answer of the console.
var securityHeaders = map[string]string{
	"Content-Security-Policy":    ContentSecurityPolicy,
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "no-referrer",
	"X-Frame-Options":            "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
}

// file is one embedded file as served.
type file struct {
	body        []byte
	contentType string
	etag        string
	// page is an HTML page: never cached.
	page bool
}

// Console serves the embedded console. Its zero value is not usable: call
// New.
type Console struct {
	byPath map[string]file
	paths  []string
}

// New reads the embedded files once and returns the console. A page
// web/NAME.html is served at /console/NAME (index.html at /console), a
// file web/static/F at /console/static/F.
func New() *Console {
	c := &Console{byPath: map[string]file{}}
	err := fs.WalkDir(files, "web", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "web/")
		sum := sha256.Sum256(body)
		f := file{body: body, contentType: contentType(rel), etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		urlPath := Base + "/" + rel
		if !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".html") {
			f.page = true
			urlPath = Base + "/" + strings.TrimSuffix(rel, ".html")
			if rel == "index.html" {
				urlPath = Base
			}
		}
		c.byPath[urlPath] = f
		c.paths = append(c.paths, urlPath)
		return nil
	})
	if err != nil {
		panic("console: reading the embedded files: " + err.Error()) // a build mistake
	}
	slices.Sort(c.paths)
	return c
}

// contentType is the media type of an embedded file by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Paths lists every path the console answers, sorted: /console for the
// sign-in page, /console/NAME for the other pages and /console/static/...
// for their scripts and styles. The HTTP API routes exactly these (without
// a trailing slash, which it makes optional) to the console.
func (c *Console) Paths() []string { return slices.Clone(c.paths) }

// Pages lists the paths of the HTML pages, sorted.
func (c *Console) Pages() []string {
	var out []string
	for _, p := range c.paths {
		if c.byPath[p].page {
			out = append(out, p)
		}
	}
	return out
}

// ServeHTTP answers GET and HEAD of one of Paths (a trailing slash
// allowed) with the file and the security headers; anything else is 404
// (the HTTP API routes only Paths here, so that its own error body answers
// the rest).
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range securityHeaders {
		h.Set(k, v)
	}
	p := r.URL.Path
	if len(p) > len(Base) {
		p = strings.TrimSuffix(p, "/")
	}
	f, ok := c.byPath[p]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", f.contentType)
	if f.page {
		h.Set("Cache-Control", "no-store")
	} else {
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
