package browser

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/configmat/configmat/test/e2etest"
)

var (
	screenshotDir = flag.String("screenshots", "", "folder for the scenarios' screenshots (default: a new folder under the temporary folder)")
	updateDocs    = flag.Bool("docs", false, "copy the main pages' screenshots into docs/console/")
)

// axeSource is axe-core (npm axe-core, MPL-2.0: testdata/axe-core.LICENSE),
// injected into pages to run its automated accessibility checks.
//
//go:embed testdata/axe.min.js
var axeSource string

// stepTimeout bounds every browser step: a condition that does not hold by
// then fails the test.
const stepTimeout = 30 * time.Second

// chromium returns the path of the browser, or skips the test (fails it
// with CI=true) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	if env := os.Getenv("CHROMIUM"); env != "" {
		names = []string{env}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium found (tried %v): the browser tests are mandatory with CI=true; "+
			"install it with apt-get install -y --no-install-recommends chromium", names)
	}
	t.Skipf("no Chromium found (tried %v): the browser tests need it (apt-get install chromium); CI=true makes them mandatory", names)
	return ""
}

// startServer runs the binary on the embedded store, with signup open or
// not.
func startServer(t *testing.T, signup bool) *e2etest.Server {
	t.Helper()
	return e2etest.Start(t, e2etest.Options{Env: map[string]string{
		"ENCRYPTION_KEY":  strings.Repeat("3c", 32),
		"ALLOW_SIGNUP":    strconv.FormatBool(signup),
		"RATE_LIMIT_ANON": "100000/hour",
		"LOG_LEVEL":       "warn",
	}})
}

// browser is one headless Chromium; tab opens pages in it.
type browser struct {
	ctx context.Context
	// shots is where screenshots go.
	shots string
}

// newBrowser starts Chromium for the test and stops it at its end.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("lang", "en-GB"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	// The first action starts the browser, whose life is ctx's.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	dir := *screenshotDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "configmat-console-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", dir)
	return &browser{ctx: ctx, shots: dir}
}

// tab is one browser tab: its own sessionStorage, so its own signed-in
// user.
type tab struct {
	t   *testing.T
	b   *browser
	ctx context.Context
	// base is the server's URL.
	base string
	// consoleErrors collects what the page logged as errors and the
	// exceptions it threw, CSP refusals among them.
	consoleErrors *pageErrors
}

// newTab opens a tab for base's console.
func (b *browser) newTab(t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	errs := &pageErrors{}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	if err := listenConsole(ctx, errs); err != nil {
		t.Fatalf("listening to the tab's console: %v", err)
	}
	return &tab{t: t, b: b, ctx: ctx, base: base, consoleErrors: errs}
}

// do runs steps within stepTimeout and fails the test on an error, naming
// the caller's line.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail("browser step: %v", err)
	}
}

// fail ends the test with a screenshot of the page as it is.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.t.Name()) + "-FAILED"
	path := tb.screenshot(name)
	tb.t.Fatalf(format+" (screenshot %s; page errors %v)", append(args, path, tb.consoleErrors.take())...)
}

// eval evaluates a JavaScript expression in the page and decodes its result.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("evaluating %.80q: %v", expr, err)
	}
	return v
}

// open navigates to a console path and waits until sel is visible.
func (tb *tab) open(path, sel string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitText waits until the element sel is shown (in no hidden element)
// and its text contains want. The page may navigate meanwhile (a form
// that signs in goes to the next page): the wait starts again on the new
// document, until the deadline.
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	expr := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && !el.closest('[hidden]') && el.textContent.includes(%q); })()`, sel, want)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(0), chromedp.WithPollingMutation()))
		if err == nil {
			return
		}
		if ctx.Err() != nil || !navigated(err) {
			tb.fail("waiting for %s to show %q: %v (it shows %q)", sel, want, err, tb.text(sel))
		}
	}
}

// navigated reports whether err says the page went away under a script:
// the document was replaced by a navigation.
func navigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Cannot find context")
}

// text returns the text of the first element sel matches.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

// count returns how many elements sel matches that are shown (in no
// hidden element).
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter((el) => !el.closest('[hidden]')).length`, sel))
}

// fill replaces the value of the field sel, once it is visible, and tells
// its listeners (chromedp.SetValue writes "undefined" for "").
func (tb *tab) fill(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	ok := eval[bool](tb, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
		el.value = %q; el.dispatchEvent(new Event('input', { bubbles: true })); return el.value === %q; })()`, sel, value, value))
	if !ok {
		tb.fail("could not fill %s", sel)
	}
}

// choose selects value in the select sel, once it offers it (pages fill
// their selects from the API), and tells its listeners.
func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	offered := fmt.Sprintf(`(() => { const s = document.querySelector(%q); return !!s && [...s.options].some((o) => o.value === %q); })()`, sel, value)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](offered, chromedp.WithPollingTimeout(0), chromedp.WithPollingMutation())); err != nil {
		tb.fail("select %s does not offer %q: %v", sel, value, err)
	}
	eval[chromedp.Void](tb, fmt.Sprintf(`(() => { const s = document.querySelector(%q);
		s.value = %q; s.dispatchEvent(new Event('change', { bubbles: true })); })()`, sel, value))
}

// click clicks the element sel once it is visible.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// html is the page's whole DOM as HTML.
func (tb *tab) html() string {
	tb.t.Helper()
	return eval[string](tb, `document.documentElement.outerHTML`)
}

// screenshot saves a PNG of the whole page as name.png and returns its
// path.
func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(tb.b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		tb.t.Errorf("writing %s: %v", path, err)
	}
	return path
}

// docsShots names the screenshots copied into docs/console with -docs.
var docsShots = map[string]bool{}

// end saves the screenshot of the page a scenario ends on, checks the
// page with axe-core and that it logged no error; doc marks a main page
// for docs/console.
func (tb *tab) end(name string, doc bool) {
	tb.t.Helper()
	tb.axe()
	if errs := tb.consoleErrors.take(); len(errs) > 0 {
		tb.fail("the page logged errors: %v", errs)
	}
	path := tb.screenshot(name)
	if doc {
		docsShots[name] = true
		if *updateDocs && path != "" {
			copyToDocs(tb.t, path)
		}
	}
}

// copyToDocs copies a screenshot into docs/console/.
func copyToDocs(t *testing.T, path string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path) // #nosec G304 -- a screenshot this test wrote
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// axeViolation is what axe-core reports of one broken rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axe runs axe-core's automated checks (WCAG 2 A and AA and best
// practices) on the page and fails on a serious or critical violation.
func (tb *tab) axe() {
	tb.t.Helper()
	if !eval[bool](tb, `typeof window.axe === 'object'`) {
		eval[chromedp.Void](tb, axeSource+";undefined")
	}
	raw := eval[[]byte](tb, `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`)
	var violations []axeViolation
	if err := json.Unmarshal(raw, &violations); err != nil {
		tb.fail("decoding axe-core's answer: %v", err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			tb.t.Errorf("axe-core: %s (%s): %s at %v", v.ID, v.Impact, v.Help, where)
		} else {
			tb.t.Logf("axe-core (%s, not failing): %s: %s", v.Impact, v.ID, v.Help)
		}
	}
}

// apiClient calls the HTTP API directly, for setup and for checking what
// the console did.
type apiClient struct {
	t      *testing.T
	base   string
	header http.Header
}

// call sends a request and returns the status and the decoded body.
func (c apiClient) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(data) > 0 {
		_ = json.Unmarshal(data, &out)
	}
	return res.StatusCode, out
}

// must is call that fails unless the status is want.
func (c apiClient) must(want int, method, path string, body any) map[string]any {
	c.t.Helper()
	status, out := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: %d, want %d: %v", method, path, status, want, out)
	}
	return out
}
