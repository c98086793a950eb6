package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// client sends requests to a stack as one identity: a user token (acting in
// the tenant named by X-Tenant, or the user's first), an API key, or nobody.
// Every answer goes through stack.checkAnswer.
type client struct {
	st     *stack
	token  string
	apiKey string
	// tenant is sent as X-Tenant when not empty.
	tenant string
	// tenantID is the tenant the client's requests act in; the access log of
	// its tenant-scoped requests must name it.
	tenantID string
}

// anonymous returns a client without credentials.
func (st *stack) anonymous() *client { return &client{st: st} }

// inTenant returns a copy of c that names the tenant slug in X-Tenant and is
// expected to act in tenantID ("" when the tenant must be refused).
func (c *client) inTenant(slug, tenantID string) *client {
	out := *c
	out.tenant, out.tenantID = slug, tenantID
	return &out
}

// request is one HTTP request of a test.
type request struct {
	method string
	path   string
	// body is nil for none; a string or []byte is sent as is, an io.Reader is
	// streamed with no Content-Length, anything else is encoded as JSON.
	body any
	// contentType replaces application/json (the default when there is a body).
	contentType string
	headers     map[string]string
}

// response is an answer with its body read.
type response struct {
	label  string
	status int
	header http.Header
	body   []byte
}

// get, post, patch and del send the common requests.
func (c *client) get(t *testing.T, path string) *response {
	t.Helper()
	return c.send(t, request{method: http.MethodGet, path: path})
}

func (c *client) post(t *testing.T, path string, body any) *response {
	t.Helper()
	return c.send(t, request{method: http.MethodPost, path: path, body: body})
}

func (c *client) patch(t *testing.T, path string, body any) *response {
	t.Helper()
	return c.send(t, request{method: http.MethodPatch, path: path, body: body})
}

func (c *client) del(t *testing.T, path string) *response {
	t.Helper()
	return c.send(t, request{method: http.MethodDelete, path: path})
}

// send sends rq with c's credentials and checks the answer against the
// contract.
func (c *client) send(t *testing.T, rq request) *response {
	t.Helper()
	req, err := http.NewRequest(rq.method, c.st.srv.URL+rq.path, encodeBody(t, rq.body))
	if err != nil {
		t.Fatalf("build %s %s: %v", rq.method, rq.path, err)
	}
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	if c.tenant != "" {
		req.Header.Set("X-Tenant", c.tenant)
	}
	for k, v := range rq.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.st.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the body: %v", rq.method, rq.path, err)
	}
	r := &response{label: rq.method + " " + rq.path, status: resp.StatusCode, header: resp.Header, body: data}
	c.st.checkAnswer(t, c, req, r)
	return r
}

// encodeBody turns a request body into a reader (see request.body).
func encodeBody(t *testing.T, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	case io.Reader:
		return struct{ io.Reader }{b} // hides the length: sent chunked
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encode a request body: %v", err)
	}
	return bytes.NewReader(data)
}

// saneRequestID is what a request ID must look like.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// tenantScopedPrefixes are the paths of the routes that act in a tenant.
var tenantScopedPrefixes = []string{
	"/api/v1/environments", "/api/v1/assets", "/api/v1/members", "/api/v1/api-keys", "/api/v1/audit",
}

// checkAnswer checks what every answer must satisfy: an X-Request-ID (the
// client's own when sane), the OpenAPI document, the error body of the
// contract, the rate-limit headers of rate-limited routes; and records the
// exchange for the log checks.
func (st *stack) checkAnswer(t *testing.T, c *client, req *http.Request, r *response) {
	t.Helper()
	id := r.header.Get("X-Request-ID")
	switch sent := req.Header.Get("X-Request-ID"); {
	case !saneRequestID.MatchString(id):
		t.Errorf("%s: X-Request-ID %q is missing or not sane", r.label, id)
	case saneRequestID.MatchString(sent) && id != sent:
		t.Errorf("%s: X-Request-ID %q, want the client's %q echoed", r.label, id, sent)
	}
	if err := st.contract.Check(req, r.status, r.header, r.body); err != nil {
		problem, _, _ := strings.Cut(err.Error(), "\n")
		if st.rec.firstReport(problem) {
			t.Errorf("%s: %v\nbody: %.600s", r.label, err, r.body)
		}
	}
	code := ""
	if r.status >= 400 {
		code = st.checkErrorBody(t, r, id)
	}
	if r.status >= 500 {
		t.Errorf("%s: server error %d: %s", r.label, r.status, r.body)
	}
	op := st.contract.Operation(req)
	if op != "" && !isHealthPath(req.URL.Path) {
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if _, err := strconv.ParseInt(r.header.Get(h), 10, 64); err != nil {
				t.Errorf("%s: %s is %q; every answer of a rate-limited route carries it", r.label, h, r.header.Get(h))
			}
		}
	}
	st.rec.exchange(exchange{requestID: id, label: r.label, tenantID: expectedTenant(c, req, r, code)})
}

// expectedTenant is the tenant the access log line of a request must name.
func expectedTenant(c *client, req *http.Request, r *response, code string) string {
	if c.tenantID == "" || r.status == http.StatusUnauthorized || r.status == http.StatusTooManyRequests ||
		code == "TENANT_NOT_FOUND" || code == "NOT_FOUND" || code == "METHOD_NOT_ALLOWED" {
		return ""
	}
	for _, p := range tenantScopedPrefixes {
		if strings.HasPrefix(req.URL.Path, p) {
			return c.tenantID
		}
	}
	return ""
}

// isHealthPath reports whether path is a health check (never rate limited).
func isHealthPath(path string) bool {
	path = strings.TrimSuffix(path, "/")
	return path == "/health" || path == "/health/detailed" || path == "/api/v1/health" || path == "/api/v1/health/detailed"
}

// docsBase prefixes every error code's documentation URL.
const docsBase = "https://docs.configmat.io/errors/"

// checkErrorBody checks the contract's error body and returns its code.
func (st *stack) checkErrorBody(t *testing.T, r *response, requestID string) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error answer with Content-Type %q", r.label, ct)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil || raw["error"] == nil {
		t.Errorf("%s: error answer %d without the contract's body: %s", r.label, r.status, r.body)
		return ""
	}
	var body errorBody
	r.decode(t, &body)
	e := body.Error
	if e.Code == "" || e.Message == "" {
		t.Errorf("%s: error body without code or message: %s", r.label, r.body)
	}
	if d := raw["error"]["details"]; len(d) == 0 || d[0] != '{' {
		t.Errorf("%s: error details must be an object: %s", r.label, r.body)
	}
	if e.RequestID != requestID {
		t.Errorf("%s: error request_id %q, want the X-Request-ID header %q", r.label, e.RequestID, requestID)
	}
	if want := docsBase + e.Code; e.DocumentationURL != want {
		t.Errorf("%s: documentation_url %q, want %q", r.label, e.DocumentationURL, want)
	}
	return e.Code
}

// want fails the test unless the answer has the status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body: %.800s", r.label, r.status, status, r.body)
	}
	return r
}

// wantError fails the test unless the answer is the error status and code;
// it returns the error.
func (r *response) wantError(t *testing.T, status int, code string) apiError {
	t.Helper()
	r.want(t, status)
	var body errorBody
	r.decode(t, &body)
	if body.Error.Code != code {
		t.Fatalf("%s: error code %q, want %q; body: %s", r.label, body.Error.Code, code, r.body)
	}
	return body.Error
}

// decode decodes the JSON body into v, refusing fields v does not know.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: decode the body into %T: %v; body: %.800s", r.label, v, err, r.body)
	}
}

// object decodes the JSON body as an object.
func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: the body is not a JSON object: %v; body: %.800s", r.label, err, r.body)
	}
	return m
}
