package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// watchBound is the contract's bound on how long a committed change, a
// revocation or a shutdown takes to reach an open stream.
const watchBound = time.Second

func watchPath(slug, env string) string { return assetPath(slug) + "/values/watch?environment=" + env }

// openWatch opens a watch stream on srv's URL with the given headers and
// checks that it answers 200 as a stream.
func openWatch(t *testing.T, st *stack, url string, headers map[string]string) *e2etest.EventStream {
	t.Helper()
	s, err := e2etest.OpenStream(t.Context(), st.http, url, headers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if s.Response.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(s.Response.Body)
		t.Fatalf("watch answered %d: %s", s.Response.StatusCode, body)
	}
	for h, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store"} {
		if got := s.Response.Header.Get(h); got != want {
			t.Errorf("watch %s = %q, want %q", h, got, want)
		}
	}
	if s.Response.Header.Get("X-Request-ID") == "" || s.Response.Header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("watch answered without request ID or rate-limit headers: %v", s.Response.Header)
	}
	return s
}

// wantStreamRefused opens a watch stream that must be refused with status
// and the contract's error code.
func wantStreamRefused(t *testing.T, st *stack, url string, headers map[string]string, status int, code string) {
	t.Helper()
	s, err := e2etest.OpenStream(t.Context(), st.http, url, headers)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body, _ := io.ReadAll(s.Response.Body)
	if s.Response.StatusCode != status || !strings.Contains(string(body), `"code":"`+code+`"`) {
		t.Fatalf("watch answered %d %s, want %d %s", s.Response.StatusCode, body, status, code)
	}
}

// nextConfig reads the next event, which must be a config event, and
// returns it with its decoded data.
func nextConfig(t *testing.T, s *e2etest.EventStream) (e2etest.Event, resolvedConfig) {
	t.Helper()
	ev, err := s.NextEvent()
	if err != nil {
		t.Fatalf("stream ended: %v", err)
	}
	if ev.Name != "config" || ev.ID == "" {
		t.Fatalf("event %+v, want a config event with an id", ev)
	}
	var rc resolvedConfig
	if err := json.Unmarshal([]byte(ev.Data), &rc); err != nil {
		t.Fatalf("config event data %q: %v", ev.Data, err)
	}
	return ev, rc
}

// wantStreamEnd waits for the server to end s cleanly within bound.
func wantStreamEnd(t *testing.T, s *e2etest.EventStream, bound time.Duration, what string) {
	t.Helper()
	start := time.Now()
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			if took := time.Since(start); took > bound {
				t.Errorf("%s: the stream ended after %v, more than %v", what, took, bound)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: the stream broke instead of ending: %v", what, err)
		}
		if ev.Comment == "" {
			t.Fatalf("%s: event %+v, want the end of the stream", what, ev)
		}
	}
}

// TestWatch runs the watch stream and the long poll against the real
// binary on each store.
func TestWatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, generousLimits)
		t.Run("first event, then one per change", func(t *testing.T) { testWatchEvents(t, st) })
		t.Run("Last-Event-ID", func(t *testing.T) { testWatchLastEventID(t, st) })
		t.Run("revoked key ends its stream", func(t *testing.T) { testWatchRevoked(t, st) })
		t.Run("expired key ends its stream", func(t *testing.T) { testWatchExpired(t, st) })
		t.Run("deleted asset", func(t *testing.T) { testWatchDeleted(t, st) })
		t.Run("viewer stream", func(t *testing.T) { testWatchViewer(t, st) })
		t.Run("long poll", func(t *testing.T) { testLongPoll(t, st) })
		t.Run("referenced value", func(t *testing.T) { testWatchReferenced(t, st) })
	})
}

// testWatchReferenced checks that a change of a value another asset
// references is an event of the referencing asset's stream, with the
// ETag its values route then answers, and that a change of the referenced
// asset that the references do not read, or in another environment, is one
// too only when it changes what they read.
func testWatchReferenced(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	shared, app := fx.newAsset(t), fx.newAsset(t)
	fx.setValues(t, shared, "prod", objects{"db": {"host": plain("h1")}})
	fx.setValues(t, app, "prod", objects{"db": {"url": plain("pg://${" + shared + "/db.host}")}})
	key := fx.newAPIKey(t, "").Key
	sdk := fx.sdk(key)
	stream := openWatch(t, st, st.srv.URL+watchPath(app, "prod"), map[string]string{"X-API-Key": key})
	first, rc := nextConfig(t, stream)
	if string(rc.Config["db"]["url"]) != `"pg://h1"` {
		t.Fatalf("first event %+v", rc)
	}
	fx.setValues(t, shared, "prod", objects{"db": {"host": plain("h2")}})
	committed := time.Now()
	ev, rc := nextConfig(t, stream)
	if late := time.Since(committed); late > watchBound {
		t.Errorf("the referenced change reached the stream after %v", late)
	}
	if rc.Version != 1 || string(rc.Config["db"]["url"]) != `"pg://h2"` || ev.ID == first.ID {
		t.Fatalf("event after the referenced change: id %s (first %s), %+v", ev.ID, first.ID, rc)
	}
	if etag := sdk.get(t, resolvedPath(app, "prod")).want(t, http.StatusOK).header.Get("ETag"); `"`+ev.ID+`"` != etag {
		t.Fatalf("event id %s, ETag %s", ev.ID, etag)
	}
	// shared in stage is not read: nothing; app's own next version follows.
	fx.setValues(t, shared, "stage", objects{"db": {"host": plain("s")}})
	fx.setValues(t, app, "prod", objects{"db": {"n": plain(2)}})
	if _, rc := nextConfig(t, stream); rc.Version != 2 {
		t.Fatalf("event %+v, want version 2 and nothing before it", rc)
	}
}

func testWatchEvents(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	s := st.secretValue()
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("v1"), "password": secret(s)}})
	key := fx.newAPIKey(t, "prod").Key
	sdk := fx.sdk(key)
	stream := openWatch(t, st, st.srv.URL+watchPath(slug, "prod"), map[string]string{"X-API-Key": key})

	poll := sdk.get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK)
	ev, rc := nextConfig(t, stream)
	if `"`+ev.ID+`"` != poll.header.Get("ETag") || ev.Data != string(poll.body) {
		t.Fatalf("first event id %s data %s; the values route answers ETag %s and %s", ev.ID, ev.Data, poll.header.Get("ETag"), poll.body)
	}
	if rc.Version != 1 || string(rc.Config["db"]["password"]) != string(jsonString(s)) {
		t.Fatalf("first event %+v", rc)
	}
	for want := 2; want <= 4; want++ {
		host := "v" + strconv.Itoa(want)
		fx.setValues(t, slug, "prod", objects{"db": {"host": plain(host)}})
		ev, rc := nextConfig(t, stream)
		if rc.Version != want || string(rc.Config["db"]["host"]) != `"`+host+`"` {
			t.Fatalf("event after change %d: %+v", want, rc)
		}
		if etag := sdk.get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK).header.Get("ETag"); `"`+ev.ID+`"` != etag {
			t.Fatalf("event id %s, ETag %s", ev.ID, etag)
		}
	}
	// A change to another environment sends nothing here: the next event is
	// the next change of prod.
	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("s1")}})
	fx.owner.post(t, assetPath(slug)+"/rollback", map[string]any{"environment": "prod", "version": 1}).want(t, http.StatusOK)
	if _, rc := nextConfig(t, stream); rc.Version != 5 || string(rc.Config["db"]["host"]) != `"v1"` {
		t.Fatalf("event after the rollback: %+v", rc)
	}
}

func testWatchLastEventID(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("v1")}})
	key := fx.newAPIKey(t, "").Key
	url := st.srv.URL + watchPath(slug, "prod")
	current, _ := nextConfig(t, openWatch(t, st, url, map[string]string{"X-API-Key": key}))

	resumed := openWatch(t, st, url, map[string]string{"X-API-Key": key, "Last-Event-ID": current.ID})
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("v2")}})
	// Had the stream sent the configuration the client has, it would come
	// first.
	if ev, rc := nextConfig(t, resumed); rc.Version != 2 || ev.ID == current.ID {
		t.Fatalf("first event of a resumed stream: %+v, want version 2", rc)
	}
	// A stale ID gets the current configuration at once.
	if _, rc := nextConfig(t, openWatch(t, st, url, map[string]string{"X-API-Key": key, "Last-Event-ID": current.ID})); rc.Version != 2 {
		t.Fatalf("stream resumed from a stale ID starts with version %d, want 2", rc.Version)
	}
}

func testWatchRevoked(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	k := fx.newAPIKey(t, "")
	stream := openWatch(t, st, st.srv.URL+watchPath(slug, "prod"), map[string]string{"X-API-Key": k.Key})
	nextConfig(t, stream)
	fx.owner.del(t, "/api/v1/api-keys/"+k.ID).want(t, http.StatusNoContent)
	wantStreamEnd(t, stream, watchBound, "revoked key")
	fx.sdk(k.Key).get(t, resolvedPath(slug, "prod")).wantError(t, http.StatusUnauthorized, "INVALID_API_KEY")
	wantStreamRefused(t, st, st.srv.URL+watchPath(slug, "prod"), map[string]string{"X-API-Key": k.Key},
		http.StatusUnauthorized, "INVALID_API_KEY")
}

func testWatchExpired(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	expires := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	var k apiKeyCreated
	fx.owner.post(t, "/api/v1/api-keys", map[string]any{"name": unique("key"), "environment": nil, "expires_at": expires.Format(time.RFC3339)}).
		want(t, http.StatusCreated).decode(t, &k)
	st.rec.secret("API key", k.Key)
	stream := openWatch(t, st, st.srv.URL+watchPath(slug, "prod"), map[string]string{"X-API-Key": k.Key})
	nextConfig(t, stream)
	for {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || ev.Comment == "" {
			t.Fatalf("before the end: %+v (%v)", ev, err)
		}
	}
	ended := time.Now()
	if ended.Before(expires) || ended.Sub(expires) > watchBound {
		t.Fatalf("the stream of a key expiring at %v ended at %v, want within %v after", expires, ended, watchBound)
	}
	fx.sdk(k.Key).get(t, resolvedPath(slug, "prod")).wantError(t, http.StatusUnauthorized, "INVALID_API_KEY")
}

func testWatchDeleted(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	key := fx.newAPIKey(t, "").Key
	stream := openWatch(t, st, st.srv.URL+watchPath(slug, "stage"), map[string]string{"X-API-Key": key})
	if _, rc := nextConfig(t, stream); rc.Version != 0 || len(rc.Config) != 0 {
		t.Fatalf("first event of an empty environment: %+v", rc)
	}
	fx.owner.del(t, assetPath(slug)).want(t, http.StatusNoContent)
	ev, err := stream.NextEvent()
	if err != nil || ev.Name != "deleted" || ev.ID != "" || ev.Data != `{"asset":"`+slug+`"}` {
		t.Fatalf("after the deletion: %+v (%v), want a deleted event", ev, err)
	}
	wantStreamEnd(t, stream, watchBound, "deleted asset")
}

func testWatchViewer(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	s := st.secretValue()
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("h"), "password": secret(s)}})
	viewer := fx.join(t, "viewer")
	headers := map[string]string{"Authorization": "Bearer " + viewer.token, "X-Tenant": fx.slug}
	stream := openWatch(t, st, st.srv.URL+watchPath(slug, "prod"), headers)
	ev, rc := nextConfig(t, stream)
	if strings.Contains(ev.Data, s) || len(rc.Config["db"]) != 1 {
		t.Fatalf("a viewer's stream holds the secret: %s", ev.Data)
	}
	// A new role ends the stream; the next one reads as the new role.
	fx.owner.patch(t, "/api/v1/members/"+viewer.id, map[string]string{"role": "editor"}).want(t, http.StatusOK)
	wantStreamEnd(t, stream, watchBound, "membership changed")
	if ev, _ := nextConfig(t, openWatch(t, st, st.srv.URL+watchPath(slug, "prod"), headers)); !strings.Contains(ev.Data, s) {
		t.Fatalf("an editor's stream lacks the secret: %s", ev.Data)
	}
	fx.owner.del(t, "/api/v1/members/"+viewer.id).want(t, http.StatusNoContent)
	wantStreamRefused(t, st, st.srv.URL+watchPath(slug, "prod"), headers, http.StatusNotFound, "TENANT_NOT_FOUND")
}

func testLongPoll(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("v1")}})
	sdk := fx.sdk(fx.newAPIKey(t, "").Key)
	etag := sdk.get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK).header.Get("ETag")
	longPoll := func(wait string) (*response, time.Duration) {
		start := time.Now()
		r := sdk.send(t, request{method: http.MethodGet, path: resolvedPath(slug, "prod") + "&wait=" + wait,
			headers: map[string]string{"If-None-Match": etag}})
		return r, time.Since(start)
	}

	r, took := longPoll("1")
	r.want(t, http.StatusNotModified)
	if took < time.Second || r.header.Get("ETag") != etag {
		t.Fatalf("wait=1 answered 304 after %v with ETag %s, want after a second with %s", took, r.header.Get("ETag"), etag)
	}

	type answer struct {
		r    *response
		took time.Duration
		at   time.Time
	}
	answered := make(chan answer, 1)
	go func() {
		r, took := longPoll("30")
		answered <- answer{r, took, time.Now()}
	}()
	// Whether the change commits before or after the poll is waiting, the
	// poll must answer it: at once, or as soon as it commits.
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("v2")}})
	committed := time.Now()
	a := <-answered
	var rc resolvedConfig
	a.r.want(t, http.StatusOK).decode(t, &rc)
	if rc.Version != 2 || a.r.header.Get("ETag") == etag {
		t.Fatalf("long poll answered %+v with ETag %s", rc, a.r.header.Get("ETag"))
	}
	if late := a.at.Sub(committed); late > watchBound {
		t.Fatalf("the long poll answered %v after the change committed", late)
	}
	for _, bad := range []string{"0", "61", "soon"} {
		sdk.send(t, request{method: http.MethodGet, path: resolvedPath(slug, "prod") + "&wait=" + bad}).
			wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")
	}
}

// TestWatchLimitsAndShutdown: WATCH_MAX streams per process, one more
// answers 503; on SIGTERM every stream ends cleanly and the server exits 0.
func TestWatchLimitsAndShutdown(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		settings := map[string]string{"WATCH_MAX": "3"}
		for k, v := range generousLimits {
			settings[k] = v
		}
		st := startStack(t, kind, settings)
		fx := st.newTenant(t)
		slug := fx.newAsset(t)
		key := fx.newAPIKey(t, "").Key
		url := st.srv.URL + watchPath(slug, "prod")
		var streams []*e2etest.EventStream
		for range 3 {
			s := openWatch(t, st, url, map[string]string{"X-API-Key": key})
			nextConfig(t, s)
			streams = append(streams, s)
		}
		// One more: 503 (read raw: the e2e client counts any 5xx as a fault).
		wantStreamRefused(t, st, url, map[string]string{"X-API-Key": key}, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")

		if err := st.srv.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		for _, s := range streams {
			wantStreamEnd(t, s, 5*watchBound, "SIGTERM")
		}
		if code := st.srv.Wait(); code != 0 {
			t.Fatalf("the server exited %d after SIGTERM with open streams, want 0", code)
		}
	})
}

// TestWatchAcrossProcesses: on PostgreSQL, a stream on one process sees
// a change committed through another within a second.
func TestWatchAcrossProcesses(t *testing.T) {
	st := startStack(t, postgresStore, generousLimits)
	other := e2etest.Start(t, e2etest.Options{Env: st.env, Dir: t.TempDir()})
	t.Cleanup(func() { st.rec.checkNoSecrets(t, "logs of the second configmat serve", other.Logs()) })
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	key := fx.newAPIKey(t, "").Key
	stream := openWatch(t, st, other.URL+watchPath(slug, "prod"), map[string]string{"X-API-Key": key})
	nextConfig(t, stream)
	for want := 1; want <= 5; want++ {
		fx.setValues(t, slug, "prod", objects{"db": {"n": plain(want)}})
		committed := time.Now()
		if _, rc := nextConfig(t, stream); rc.Version != want {
			t.Fatalf("the other process streamed version %d, want %d", rc.Version, want)
		}
		if late := time.Since(committed); late > watchBound {
			t.Fatalf("the change reached the other process's stream after %v", late)
		}
	}

	// A referenced value changed through this process: the other process's
	// stream of the referencing asset has an event at once, and its values
	// route (whose cache and encoded answers it invalidates) the new ETag.
	app := fx.newAsset(t)
	fx.setValues(t, app, "prod", objects{"db": {"n": plain("${" + slug + "/db.n}")}})
	onOther := func() *response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, other.URL+resolvedPath(app, "prod"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", key)
		res, err := st.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return &response{label: "GET " + req.URL.Path + " on the other process", status: res.StatusCode, header: res.Header, body: body}
	}
	appStream := openWatch(t, st, other.URL+watchPath(app, "prod"), map[string]string{"X-API-Key": key})
	first, rc := nextConfig(t, appStream)
	before := onOther().want(t, http.StatusOK)
	if string(rc.Config["db"]["n"]) != "5" || before.header.Get("ETag") != `"`+first.ID+`"` {
		t.Fatalf("the referencing config on the other process: %+v, ETag %s", rc, before.header.Get("ETag"))
	}
	fx.setValues(t, slug, "prod", objects{"db": {"n": plain(6)}})
	committed := time.Now()
	ev, rc := nextConfig(t, appStream)
	if late := time.Since(committed); late > watchBound {
		t.Fatalf("the referenced change reached the other process's stream after %v", late)
	}
	if rc.Version != 1 || string(rc.Config["db"]["n"]) != "6" || ev.ID == first.ID {
		t.Fatalf("the other process streamed %+v (id %s, first %s) after the referenced change", rc, ev.ID, first.ID)
	}
	after := onOther().want(t, http.StatusOK)
	if after.header.Get("ETag") != `"`+ev.ID+`"` || after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatalf("the other process answers ETag %s (before %s, event %s)", after.header.Get("ETag"), before.header.Get("ETag"), ev.ID)
	}
}
