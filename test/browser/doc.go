// Package browser tests the web console in a real headless Chromium, driven
// from Go with chromedp, against the real configmat binary on the embedded
// store (test/e2etest starts it): every scenario of the console's issue,
// each ending with a screenshot, and axe-core's automated accessibility
// checks on every page. A test without a browser fetches every console
// page from the binary and checks its security headers and HTML.
//
// Chromium is Debian's `chromium` package (CHROMIUM names another binary).
// Without it the browser tests skip, unless CI=true, where they fail.
// Screenshots go to a new folder under the system's temporary folder (the
// test log names it), or to -screenshots DIR; -docs also copies the main
// pages' screenshots into docs/console/ (`make screenshots`).
//
//	go test -count=1 ./test/browser/
package browser
