// Package console is the web console: static HTML pages and plain
// JavaScript modules embedded in the binary, which call the HTTP API
// (/api/v1) from the browser with the signed-in user's token. It holds no
// business rule: what a role may do is the core's decision, and a control
// the console hides is still refused by the API.
//
// Every answer carries the security headers of a page that shows production
// secrets (see securityHeaders): a Content-Security-Policy that allows only
// this origin's scripts, styles and connections and no framing, nosniff and
// no referrer. Pages are never cached; scripts and styles are revalidated by
// their ETag.
package console
