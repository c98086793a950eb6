package core_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/configmat/configmat"

// Pattern words besides import paths. A pattern is one of these, a package of
// the module ("./ports"), a subtree of the module ("./core/..." is core and
// everything below it; "./..." the whole module), or an import path outside
// the module, alone or as a subtree ("net", "net/http/...",
// "golang.org/x/crypto/...").
const (
	// stdlib matches the standard library.
	stdlib = "std"
	// thirdParty matches packages outside the module and the standard library.
	thirdParty = "third-party"
	// sameAdapter matches the importing adapter's own subtree
	// (adapters/postgres/... for adapters/postgres/x).
	sameAdapter = "same adapter"
)

// fileSet says which files of a package a rule reads.
type fileSet int

const (
	// nonTestFiles are the package's own files (go list's Imports).
	nonTestFiles fileSet = iota
	// testFiles are its _test.go files, in-package and external
	// (TestImports and XTestImports).
	testFiles
)

// boundaryRule is one dependency rule. Every rule that governs a package must
// hold for it; every package of the module must be governed by at least one
// rule on its non-test files, so a new folder needs a decision here.
type boundaryRule struct {
	// rule is the rule in words; every violation names it.
	rule string
	// packages and except are patterns of the module's packages it governs.
	packages, except []string
	files            fileSet
	// allow lists the patterns of the imports allowed; nil allows any import
	// that deny does not refuse.
	allow []string
	// deny lists patterns refused even when allow matches them.
	deny []string
	// oneAdapter limits the governed packages to importing at most one
	// adapter (counted by adapters/<name>).
	oneAdapter bool
}

// pureLibraries are the libraries outside the standard library the core
// services may import: no I/O, no global state.
var pureLibraries = []string{"github.com/google/uuid", "golang.org/x/crypto/...", "github.com/santhosh-tekuri/jsonschema/v6/...", "github.com/transparency-dev/merkle/...", "golang.org/x/mod/sumdb/note"}

// adapterImports are the imports every adapter may make.
var adapterImports = []string{stdlib, thirdParty, "./core/...", "./ports", "./api", "./migrations", sameAdapter}

// boundaryRules are the architecture's dependency rules (ARCHITECTURE.md).
var boundaryRules = []boundaryRule{
	{
		rule:     "core/domain imports only the standard library",
		packages: []string{"./core/domain"},
		allow:    []string{stdlib},
	},
	{
		rule: "the core imports the standard library but HTTP, SQL, sockets, files, processes, logging and testing; " +
			"the core; ports; and the pure libraries " + strings.Join(pureLibraries, ", "),
		packages: []string{"./core/..."},
		allow:    append([]string{stdlib, "./core/...", "./ports"}, pureLibraries...),
		deny:     []string{"net", "net/http/...", "net/rpc/...", "database/sql/...", "os/...", "log/...", "syscall", "testing/..."},
	},
	{
		rule:     "the core's tests use no adapter, cmd or test harness",
		packages: []string{"./core/..."},
		except:   []string{"./core"},
		files:    testFiles,
		deny:     []string{"./adapters/...", "./cmd/...", "./test/..."},
	},
	{
		rule:     "the core package's external tests (its runnable example) wire only the embedded store",
		packages: []string{"./core"},
		files:    testFiles,
		allow:    []string{stdlib, thirdParty, "./core/...", "./ports/...", "./adapters/sqlite"},
	},
	{
		rule:     "ports import only the standard library and core/domain",
		packages: []string{"./ports"},
		allow:    []string{stdlib, "./core/domain"},
	},
	{
		rule:     "ports/mocks are generated from ports with go.uber.org/mock",
		packages: []string{"./ports/mocks"},
		allow:    []string{stdlib, "./core/domain", "./ports", "go.uber.org/mock/..."},
	},
	{
		rule:     "ports/porttest drives stores through the ports and the real core only",
		packages: []string{"./ports/porttest"},
		allow:    []string{stdlib, "./core/...", "./ports", "github.com/google/uuid"},
	},
	{
		rule: "an adapter imports the standard library, libraries, the core, ports, api and migrations: " +
			"never another adapter, cmd or a test package",
		packages: []string{"./adapters/..."},
		except:   []string{"./adapters/postgres/...", "./adapters/sqlite/..."},
		allow:    adapterImports,
	},
	{
		rule: "adapters/postgres and adapters/sqlite import what any adapter may, and adapters/sqlstore " +
			"(their shared SQL code); never another adapter, cmd or a test package",
		packages: []string{"./adapters/postgres/...", "./adapters/sqlite/..."},
		allow:    append(slices.Clone(adapterImports), "./adapters/sqlstore/..."),
	},
	{
		rule: "adapters/console embeds the web console's files and serves them; it holds no rule, so it and its tests " +
			"import only the standard library (the browser calls the HTTP API)",
		packages: []string{"./adapters/console/..."},
		allow:    []string{stdlib, sameAdapter},
	},
	{
		rule: "adapters/console embeds the web console's files and serves them; it holds no rule, so it and its tests " +
			"import only the standard library (the browser calls the HTTP API)",
		packages: []string{"./adapters/console/..."},
		files:    testFiles,
		allow:    []string{stdlib, sameAdapter},
	},
	{
		rule:     "api and migrations embed files and import only the standard library",
		packages: []string{"./api/...", "./migrations/..."},
		allow:    []string{stdlib},
	},
	{
		rule:     "sdk is imported by applications: it and its tests import only the standard library (and sdk itself)",
		packages: []string{"./sdk/..."},
		allow:    []string{stdlib, "./sdk/..."},
	},
	{
		rule:     "sdk is imported by applications: it and its tests import only the standard library (and sdk itself)",
		packages: []string{"./sdk/..."},
		files:    testFiles,
		allow:    []string{stdlib, "./sdk/..."},
	},
	{
		rule:     "cmd is the composition root and may import anything",
		packages: []string{"./cmd/..."},
	},
	{
		rule:     "test holds harnesses and tests, which may import anything",
		packages: []string{"./test/..."},
	},
	{
		rule:       "only cmd/configmat wires adapters together: any other package imports at most one adapter",
		packages:   []string{"./..."},
		except:     []string{"./cmd/configmat"},
		oneAdapter: true,
	},
}

// listedPackage is what go list says of one package.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// violation is one import that breaks a rule; imp is empty for a package
// that no rule governs or that imports too many adapters.
type violation struct {
	pkg, imp, rule string
	tests          bool
}

func (v violation) String() string {
	if v.imp == "" {
		return fmt.Sprintf("%s: %s", rel(v.pkg), v.rule)
	}
	who := rel(v.pkg) + " imports"
	if v.tests {
		who = rel(v.pkg) + "'s tests import"
	}
	return fmt.Sprintf("%s %s, breaking the rule: %s", who, rel(v.imp), v.rule)
}

// checkBoundaries returns every violation of rules by pkgs.
func checkBoundaries(rules []boundaryRule, pkgs []listedPackage) []violation {
	var out []violation
	for _, p := range pkgs {
		governed := false
		for _, r := range rules {
			if !matchesAny(r.packages, p.ImportPath, p.ImportPath) || matchesAny(r.except, p.ImportPath, p.ImportPath) {
				continue
			}
			imports := p.Imports
			if r.files == testFiles {
				imports = append(slices.Clone(p.TestImports), p.XTestImports...)
			} else if !r.oneAdapter {
				governed = true
			}
			if r.oneAdapter {
				if adapters := adaptersOf(imports); len(adapters) > 1 {
					out = append(out, violation{pkg: p.ImportPath, rule: r.rule + " (imports " + strings.Join(adapters, ", ") + ")"})
				}
				continue
			}
			for _, imp := range imports {
				if imp == p.ImportPath {
					continue // an external test package imports its package
				}
				if (r.allow != nil && !matchesAny(r.allow, p.ImportPath, imp)) || matchesAny(r.deny, p.ImportPath, imp) {
					out = append(out, violation{pkg: p.ImportPath, imp: imp, rule: r.rule, tests: r.files == testFiles})
				}
			}
		}
		if !governed {
			out = append(out, violation{pkg: p.ImportPath, rule: "no rule governs this package: add one to boundaryRules"})
		}
	}
	return out
}

// matchesAny reports whether one of patterns matches path, imported by pkg.
func matchesAny(patterns []string, pkg, path string) bool {
	for _, pattern := range patterns {
		if matches(pattern, pkg, path) {
			return true
		}
	}
	return false
}

// matches reports whether pattern matches path, imported by pkg.
func matches(pattern, pkg, path string) bool {
	switch pattern {
	case stdlib:
		return isStandard(path)
	case thirdParty:
		return !isStandard(path) && !inModule(path)
	case sameAdapter:
		a := adapterOf(pkg)
		return a != "" && adapterOf(path) == a
	}
	if r, ok := strings.CutPrefix(pattern, "./"); ok {
		pattern = module + "/" + r
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

// inModule reports whether path is a package of this module.
func inModule(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// isStandard reports whether path is in the standard library: its first
// element has no dot.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !inModule(path) && !strings.Contains(first, ".")
}

// adapterOf returns the adapter ("adapters/postgres") path belongs to, or "".
func adapterOf(path string) string {
	r, ok := strings.CutPrefix(path, module+"/adapters/")
	if !ok || r == "" {
		return ""
	}
	name, _, _ := strings.Cut(r, "/")
	return "adapters/" + name
}

// adaptersOf returns the distinct adapters imports name, sorted.
func adaptersOf(imports []string) []string {
	var out []string
	for _, imp := range imports {
		if a := adapterOf(imp); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// rel shortens a package of the module to its folder.
func rel(path string) string {
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return path
}

// listModule returns go list's view of every package of the module.
func listModule(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportBoundaries checks the direct imports of every package of the
// module against boundaryRules: the core depends on no adapter, database,
// HTTP, logging or rate-limiting package (other Go programs import it), ports
// on nothing but the domain, and adapters on no other adapter.
func TestImportBoundaries(t *testing.T) {
	pkgs := listModule(t)
	listed := map[string]bool{}
	for _, p := range pkgs {
		listed[rel(p.ImportPath)] = true
	}
	for _, want := range []string{"core", "core/domain", "core/catalog", "ports", "adapters/postgres", "adapters/sqlite", "adapters/httpapi", "cmd/configmat", "sdk"} {
		if !listed[want] {
			t.Fatalf("go list did not name %s: the check would prove nothing (listed %d packages)", want, len(pkgs))
		}
	}
	for _, v := range checkBoundaries(boundaryRules, pkgs) {
		t.Error(v)
	}
}

// TestCheckBoundariesFindsViolations runs the check on a made-up module that
// breaks each rule once, and on one that breaks none, with and without
// adapters/sqlstore.
func TestCheckBoundariesFindsViolations(t *testing.T) {
	m := func(r string) string { return module + "/" + r }
	pkg := func(path string, imports ...string) listedPackage {
		return listedPackage{ImportPath: m(path), Imports: imports}
	}
	withTests := func(p listedPackage, tests ...string) listedPackage {
		p.TestImports = tests
		return p
	}
	clean := []listedPackage{
		pkg("core/domain", "errors", "net/mail"),
		withTests(pkg("core/catalog", "context", m("core/domain"), m("ports"), "github.com/google/uuid"), m("ports/mocks"), "go.uber.org/mock/gomock"),
		pkg("core/identity", "golang.org/x/crypto/argon2", m("core/keys")),
		{ImportPath: m("core"), Imports: []string{m("core/catalog")}, XTestImports: []string{m("core"), m("adapters/sqlite"), "os", "os/exec"}},
		pkg("ports", "context", m("core/domain")),
		pkg("ports/mocks", m("ports"), "go.uber.org/mock/gomock"),
		pkg("ports/porttest", "testing", m("core"), m("core/keys"), m("ports")),
		pkg("adapters/httpapi", "net/http", "github.com/gorilla/mux", m("core/catalog"), m("ports"), m("api")),
		pkg("adapters/postgres", "database/sql", "github.com/lib/pq", m("migrations"), m("adapters/postgres/internal/rows")),
		pkg("adapters/postgres/internal/rows", "database/sql"),
		pkg("api", "embed"),
		pkg("cmd/configmat", m("adapters/httpapi"), m("adapters/postgres"), m("adapters/sqlite"), m("core")),
		pkg("test/pgtest", m("adapters/postgres"), "testing"),
		{ImportPath: m("sdk"), Imports: []string{"net/http", "crypto/hkdf"}, XTestImports: []string{m("sdk"), "net/http/httptest"}},
	}
	withSQLStore := append(slices.Clone(clean),
		pkg("adapters/sqlstore", "database/sql", "github.com/jmoiron/sqlx", m("ports")),
		pkg("adapters/sqlite", m("adapters/sqlstore"), "modernc.org/sqlite"),
	)
	for name, pkgs := range map[string][]listedPackage{"without sqlstore": clean, "with sqlstore": withSQLStore} {
		if got := checkBoundaries(boundaryRules, pkgs); len(got) != 0 {
			t.Errorf("a module that keeps every rule (%s) has violations: %v", name, got)
		}
	}

	broken := []listedPackage{
		pkg("core/domain", "github.com/google/uuid"),
		pkg("core/catalog", "database/sql", "github.com/sirupsen/logrus", m("ports")),
		pkg("core/keys", "net/http/httptest", "os"),
		withTests(pkg("core/identity"), m("adapters/sqlite")),
		{ImportPath: m("core"), XTestImports: []string{m("adapters/postgres")}},
		pkg("ports", m("core/catalog")),
		pkg("ports/porttest", m("adapters/sqlite")),
		pkg("adapters/httpapi", m("adapters/ratelimit")),
		pkg("adapters/sqlstore", m("adapters/postgres")),
		pkg("adapters/sqlite", m("test/pgtest"), m("adapters/sqlstore")),
		pkg("adapters/ratelimit", m("cmd/configmat")),
		pkg("test/bench", m("adapters/postgres"), m("adapters/sqlite")),
		pkg("internal/tools"),
		withTests(pkg("sdk", m("core/domain"), "github.com/google/uuid"), m("test/e2etest")),
	}
	type found struct{ pkg, imp string }
	want := []found{
		{"core/domain", "github.com/google/uuid"},
		{"core/catalog", "database/sql"},
		{"core/catalog", "github.com/sirupsen/logrus"},
		{"core/keys", "net/http/httptest"},
		{"core/keys", "os"},
		{"core/identity", "adapters/sqlite"},
		{"core", "adapters/postgres"},
		{"ports", "core/catalog"},
		{"ports/porttest", "adapters/sqlite"},
		{"adapters/httpapi", "adapters/ratelimit"},
		{"adapters/sqlstore", "adapters/postgres"},
		{"adapters/sqlite", "test/pgtest"},
		{"adapters/ratelimit", "cmd/configmat"},
		{"test/bench", ""},
		{"internal/tools", ""},
		{"sdk", "core/domain"},
		{"sdk", "github.com/google/uuid"},
		{"sdk", "test/e2etest"},
	}
	var got []found
	for _, v := range checkBoundaries(boundaryRules, broken) {
		got = append(got, found{rel(v.pkg), rel(v.imp)})
		if v.rule == "" || !strings.Contains(v.String(), rel(v.pkg)) {
			t.Errorf("violation %#v does not name its package and rule: %q", v, v)
		}
	}
	cmp := func(a, b found) int { return strings.Compare(a.pkg+" "+a.imp, b.pkg+" "+b.imp) }
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("violations found:\n%v\nwant:\n%v", got, want)
	}
}
