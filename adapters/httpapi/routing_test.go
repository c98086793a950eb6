package httpapi

import (
	"net/http"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// servedBy records which catalog call a request reached, with its path
// variables; every call answers as for an unknown asset.
type servedBy struct {
	call        string
	slug, env   string
	environment string
}

func recordCatalog(a *testAPI, got *servedBy) {
	notFound := domain.StoreError(domain.KindAssetNotFound)
	a.catalog.getAsset = func(_ domain.Actor, slug string) (catalog.AssetDetail, error) {
		*got = servedBy{call: "GetAsset", slug: slug}
		return catalog.AssetDetail{}, notFound
	}
	a.catalog.getValues = func(_ domain.Actor, slug, env string) (catalog.EnvironmentValues, error) {
		*got = servedBy{call: "GetValues", slug: slug, env: env}
		return catalog.EnvironmentValues{}, notFound
	}
	a.catalog.resolve = func(_ domain.Actor, slug, env string) (catalog.Resolved, error) {
		*got = servedBy{call: "Resolve", slug: slug, environment: env}
		return catalog.Resolved{}, notFound
	}
}

// TestRoutingOnTheEncodedPath: an encoded slash stays inside its segment, so
// it never makes a slug reach another route; other encoded characters are
// decoded once into the path variable.
func TestRoutingOnTheEncodedPath(t *testing.T) {
	cases := []struct {
		path string
		want servedBy
		// status and code when no catalog call is expected.
		status int
		code   string
	}{
		{path: "/api/v1/assets/billing/environments/local", want: servedBy{call: "GetValues", slug: "billing", env: "local"}},
		{path: "/api/v1/assets/billing%2Fenvironments%2Flocal", want: servedBy{call: "GetAsset", slug: "billing/environments/local"}},
		{path: "/api/v1/assets/billing%2fenvironments%2flocal", want: servedBy{call: "GetAsset", slug: "billing/environments/local"}},
		{path: "/api/v1/assets/billing%2Fx/environments/local", want: servedBy{call: "GetValues", slug: "billing/x", env: "local"}},
		{path: "/api/v1/assets/billing%2Fenvironments/local", status: http.StatusNotFound, code: "NOT_FOUND"},
		{path: "/api/v1/assets/billing%2Fvalues?environment=prod", want: servedBy{call: "GetAsset", slug: "billing/values"}},
		{path: "/api/v1/assets/billing%2F", want: servedBy{call: "GetAsset", slug: "billing/"}},
		{path: "/api/v1/assets/billing/", want: servedBy{call: "GetAsset", slug: "billing"}},
		{path: "/api/v1/assets/%2e%2e", want: servedBy{call: "GetAsset", slug: ".."}},
		{path: "/api/v1/assets/%2E%2E/environments/local", want: servedBy{call: "GetValues", slug: "..", env: "local"}},
		{path: "/api/v1/assets/a%00b", want: servedBy{call: "GetAsset", slug: "a\x00b"}},
		{path: "/api/v1/assets/100%25", want: servedBy{call: "GetAsset", slug: "100%"}},
		{path: "/api/v1/assets/100%252F", want: servedBy{call: "GetAsset", slug: "100%2F"}},
		{path: "/api/v1/assets/bill%69ng/values?environment=prod", want: servedBy{call: "Resolve", slug: "billing", environment: "prod"}},
		{path: "/api/v1/%61ssets/billing", want: servedBy{call: "GetAsset", slug: "billing"}},
		{path: "/api/v1/assets%2Fbilling", status: http.StatusNotFound, code: "NOT_FOUND"},
		{path: "/api/v1%2Fassets", status: http.StatusNotFound, code: "NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			a := newTestAPI(t)
			var got servedBy
			recordCatalog(a, &got)
			rec := a.serve(t, userRequest(http.MethodGet, tc.path, ""))
			if tc.want.call == "" {
				if rec.Code != tc.status || decodeErrorBody(t, rec).Code != tc.code || got.call != "" {
					t.Fatalf("answer %d %s (catalog %+v), want %d %s without a catalog call", rec.Code, rec.Body, got, tc.status, tc.code)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("served by %+v, want %+v", got, tc.want)
			}
			if rec.Code != http.StatusNotFound || decodeErrorBody(t, rec).Code != "ASSET_NOT_FOUND" {
				t.Fatalf("answer %d %s, want the catalog's ASSET_NOT_FOUND", rec.Code, rec.Body)
			}
		})
	}
}

func TestCanonicalPath(t *testing.T) {
	cases := []struct{ escaped, canonical, decoded string }{
		{"/api/v1/assets", "/api/v1/assets", "/api/v1/assets"},
		{"/api/v1/a%2Fb", "/api/v1/a%2Fb", "/api/v1/a/b"},
		{"/api/v1/a%2fb", "/api/v1/a%2Fb", "/api/v1/a/b"},
		{"/%61%62", "/ab", "/ab"},
		{"/a%20b", "/a%20b", "/a b"},
		{"/a%3Fb", "/a%3Fb", "/a?b"},
		{"/a%25", "/a%25", "/a%"},
		{"/bad%zz", "/bad%25zz", "/bad%zz"},
	}
	for _, tc := range cases {
		canonical, decoded := canonicalPath(tc.escaped)
		if canonical != tc.canonical || decoded != tc.decoded {
			t.Errorf("canonicalPath(%q) = %q, %q; want %q, %q", tc.escaped, canonical, decoded, tc.canonical, tc.decoded)
		}
	}
}
