package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"

	"github.com/configmat/configmat/api"
)

// The OpenAPI document, loaded once, and a router
// over it to find the operation of a request.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadContract returns the document and its router.
func loadContract(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	contract.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIJSON)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatalf("OpenAPI document: %v", contract.err)
	}
	return contract.doc, contract.router
}

// reporter is the part of testing.TB that checkContract uses, so that a test
// can check the checker.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkContract validates one answer against the OpenAPI document: the
// operation's documented status, headers and body schema, or for a request
// that matches no operation, a 404/405 with the Error schema. It also checks
// what every answer shares: X-Request-ID, and an error body whose request_id
// and documentation_url agree with it.
func checkContract(t reporter, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	doc, router := contract.doc, contract.router
	id := rec.Header().Get(requestIDHeader)
	if id == "" {
		t.Errorf("%s %s: no X-Request-ID", req.Method, req.URL)
	}
	u := *req.URL
	if len(u.Path) > 1 {
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	}
	path := u.Path
	probe := req.Clone(context.Background())
	probe.URL, probe.Body = &u, http.NoBody
	route, params, err := router.FindRoute(probe)
	switch {
	case errors.Is(err, routers.ErrPathNotFound) && rec.Code == http.StatusNotFound,
		errors.Is(err, routers.ErrMethodNotAllowed) && rec.Code == http.StatusMethodNotAllowed:
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s %s: error body is not JSON: %v", req.Method, req.URL, err)
		} else if err := doc.Components.Schemas["Error"].Value.VisitJSON(body); err != nil {
			t.Errorf("%s %s: body does not match Error: %v", req.Method, req.URL, err)
		}
	case err != nil:
		t.Errorf("%s %s answered %d but the document has no such operation: %v", req.Method, req.URL, rec.Code, err)
		return
	default:
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			t.Errorf("%s %s: answer %d does not match the document: %v\nbody: %s", req.Method, req.URL, rec.Code, err, rec.Body)
		}
	}
	switch {
	case rec.Code == http.StatusNoContent || rec.Code == http.StatusNotModified:
		if rec.Body.Len() != 0 {
			t.Errorf("%s %s: %d with a body", req.Method, req.URL, rec.Code)
		}
	case rec.Code >= 400 && !strings.HasSuffix(path, "/health/detailed"):
		var b errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Errorf("%s %s: error body is not JSON: %v", req.Method, req.URL, err)
			return
		}
		e := b.Error
		if e.RequestID != id {
			t.Errorf("%s %s: error request_id %q, header %q", req.Method, req.URL, e.RequestID, id)
		}
		if e.DocumentationURL != documentationBase+e.Code {
			t.Errorf("%s %s: documentation_url %q", req.Method, req.URL, e.DocumentationURL)
		}
		if e.Details == nil {
			t.Errorf("%s %s: details is not an object", req.Method, req.URL)
		}
	}
}

// decodeErrorBody reads the contract's error body.
func decodeErrorBody(t *testing.T, rec *httptest.ResponseRecorder) errorPayload {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	return b.Error
}

func TestEveryRouteIsInTheDocumentAndBack(t *testing.T) {
	doc, _ := loadContract(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var routed []string
	// The console's entry page stands for all its files in the document.
	console := entryPageConsole{http.NotFoundHandler()}
	s := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Metrics: http.NotFoundHandler(), Console: console})
	err := s.router().Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := r.GetMethods()
		if err != nil {
			return err
		}
		for _, m := range methods {
			routed = append(routed, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if !slices.Equal(documented, routed) {
		t.Errorf("routes differ from the document\nrouted:     %v\ndocumented: %v", routed, documented)
	}
}

// recordingReporter collects what checkContract reports.
type recordingReporter struct{ errors []string }

func (r *recordingReporter) Helper() {}

func (r *recordingReporter) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheckContractCatchesViolations(t *testing.T) {
	loadContract(t)
	answer := func(status int, body string, header ...string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		for i := 0; i+1 < len(header); i += 2 {
			rec.Header().Set(header[i], header[i+1])
		}
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(status)
		rec.WriteString(body)
		return rec
	}
	validError := `{"error":{"code":"NOT_FOUND","message":"m","details":{},"request_id":"r","documentation_url":"https://docs.configmat.io/errors/NOT_FOUND"}}`
	cases := []struct {
		name   string
		method string
		path   string
		rec    *httptest.ResponseRecorder
		want   string
	}{
		{"valid answer", "GET", "/health", answer(200, `{"status":"ok"}`, requestIDHeader, "r"), ""},
		{"no request ID", "GET", "/health", answer(200, `{"status":"ok"}`), "no X-Request-ID"},
		{"body off schema", "GET", "/health", answer(200, `{"status":"fine"}`, requestIDHeader, "r"), "does not match the document"},
		{"undocumented status", "GET", "/health", answer(418, validError, requestIDHeader, "r"), "does not match the document"},
		{"request_id differs", "GET", "/nowhere", answer(404, validError, requestIDHeader, "other"), "error request_id"},
		{"unknown route with a bad body", "GET", "/nowhere", answer(404, `{"error":{}}`, requestIDHeader, "r"), "does not match Error"},
		{"unknown route answered 200", "GET", "/nowhere", answer(200, `{}`, requestIDHeader, "r"), "no such operation"},
		{"204 with a body", "DELETE", "/api/v1/assets/x", answer(204, `{}`, requestIDHeader, "r"), "with a body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := &recordingReporter{}
			checkContract(rep, httptest.NewRequest(tc.method, tc.path, nil), tc.rec)
			got := strings.Join(rep.errors, "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("reported %q, want %q", got, tc.want)
			}
		})
	}
}

// entryPageConsole is a console of one page, at /console.
type entryPageConsole struct{ http.Handler }

func (entryPageConsole) Paths() []string { return []string{"/console"} }
