package browser

import (
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPolicyHoldsInTheBrowser checks, in Chromium, that the console's
// Content-Security-Policy is enforced as meant: an inline style, an inline
// event handler, a script from another place and a connection to another
// host are refused, and an HTML sink such as innerHTML throws (Trusted
// Types). It proves the policy, not the pages: the pages never try.
func TestPolicyHoldsInTheBrowser(t *testing.T) {
	b := newBrowser(t)
	srv := startServer(t, false)
	tb := b.newTab(t, srv.URL)
	tb.open("/console/", "#signin")
	// Signup is off: the sign-in page offers no registration.
	tb.do(chromedp.WaitReady(chromedp.CSS("body[data-signup]")))
	if eval[string](tb, `document.body.dataset.signup`) != "off" || tb.count("#register") != 0 {
		t.Errorf("the sign-in page offers registration with signup off")
	}
	// Each probe resolves to the directive the browser says it violated,
	// or to the error Trusted Types threw first (a script-bearing attribute
	// or URL set from a string), or to what happened instead.
	probes := map[string]struct {
		expr string
		want []string
	}{
		"inline style attribute": {`new Promise((resolve) => {
			document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
			document.querySelector('h1').setAttribute('style', 'color: red');
		})`, []string{"style-src-attr"}},
		"inline event handler": {`new Promise((resolve) => {
			document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
			const b = document.createElement('button');
			b.setAttribute('onclick', 'window.ran = true');
			document.body.append(b);
			b.click();
		}).catch((e) => 'threw ' + e.name)`, []string{"script-src-attr", "threw TypeError"}},
		"script from another host": {`new Promise((resolve) => {
			document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
			const s = document.createElement('script');
			s.src = 'https://cdn.example.com/x.js';
			document.head.append(s);
		}).catch((e) => 'threw ' + e.name)`, []string{"script-src-elem", "threw TypeError"}},
		// Without a network the fetch fails anyway: the violation event is
		// what proves the policy refused it.
		"connection to another host": {`new Promise((resolve) => {
			document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
			fetch('https://api.example.com/').then(() => resolve('connected'), () => {});
		})`, []string{"connect-src"}},
		"innerHTML": {`(() => { try { document.body.innerHTML = '<b>x</b>'; return 'written'; } catch (e) { return e.name; } })()`, []string{"TypeError"}},
	}
	for name, p := range probes {
		t.Run(name, func(t *testing.T) {
			tb.t = t
			if got := eval[string](tb, p.expr); !slices.Contains(p.want, got) {
				t.Errorf("%s: %q, want one of %q", name, got, p.want)
			}
		})
	}
	tb.t = t
	if eval[bool](tb, `window.ran === true`) {
		t.Errorf("an inline event handler ran")
	}
	tb.consoleErrors.take() // the refusals, logged as meant
}
