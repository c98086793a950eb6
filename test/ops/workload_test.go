package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// loadEnvironment is the environment the workload writes and reads.
const loadEnvironment = "local"

// loadTenant is a tenant the workload writes to and reads from: its owner,
// its assets (each at version 1, holding the tenant's slug as owner.tenant)
// and an API key limited to loadEnvironment.
type loadTenant struct {
	acct   account
	key    apiKey
	assets []string
}

// newLoadTenant registers a tenant on srv with assets assets.
func newLoadTenant(t *testing.T, srv *e2etest.Server, assets int) loadTenant {
	t.Helper()
	lt := loadTenant{acct: registerAccount(t, srv)}
	for i := range assets {
		slug := fmt.Sprintf("load-%d", i)
		lt.acct.createAsset(t, slug)
		lt.acct.setValue(t, slug, loadEnvironment, "owner", "tenant", lt.acct.tenant)
		lt.assets = append(lt.assets, slug)
	}
	lt.key = lt.acct.createAPIKey(t, "load", loadEnvironment)
	return lt
}

// loadOptions shape a workload.
type loadOptions struct {
	writers, readers int
	// writes is how many change sets each writer sends; 0 until stopped.
	writes int
	// allowUnavailable lets answers be 503 SERVICE_UNAVAILABLE (a fault is
	// injected); otherwise every answer must be 200.
	allowUnavailable bool
}

// ack is a change set answered 200.
type ack struct {
	tenant, writer, seq int
	asset, message      string
	version             int
	sent, answered      time.Time
}

// workload is writers sending change sets (PATCH) and readers reading the
// resolved configs with API keys, spread over the servers, while a test does
// something to the stack. It keeps every acknowledged write and every answer
// the contract forbids.
type workload struct {
	opts    loadOptions
	tenants []loadTenant
	client  *http.Client
	// cancel ends the requests in flight (when t ends); halt stops the
	// loops after their request in flight is answered.
	cancel   context.CancelFunc
	halt     chan struct{}
	haltOnce sync.Once
	wg       sync.WaitGroup

	mu          sync.Mutex
	servers     []*e2etest.Server
	down        []bool
	acks        []ack
	reads       int
	unavailable int
	// cutOff counts requests to a server marked down that got no answer.
	cutOff   int
	failures []string
	// lastUnanswered is when a request last failed (503 or no answer).
	lastUnanswered time.Time
	// baseline is each tenant's audit entries and versions before the load.
	baseline []tenantCounts
}

// tenantCounts are a tenant's audit chain length and versions in total.
type tenantCounts struct {
	entries  int64
	versions int
}

// startWorkload starts the writers and readers; they stop when t ends at
// the latest.
func startWorkload(t *testing.T, servers []*e2etest.Server, tenants []loadTenant, o loadOptions) *workload {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &workload{
		opts: o, tenants: tenants, cancel: cancel, halt: make(chan struct{}),
		servers: append([]*e2etest.Server(nil), servers...), down: make([]bool, len(servers)),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	for _, lt := range tenants {
		w.baseline = append(w.baseline, w.counts(t, lt, servers[0]))
	}
	t.Cleanup(func() { w.cancel(); w.stop(); w.client.CloseIdleConnections() })
	for i := range o.writers {
		w.wg.Add(1)
		go w.write(ctx, i)
	}
	for i := range o.readers {
		w.wg.Add(1)
		go w.read(ctx, i)
	}
	return w
}

// stop ends the load: no new request is sent, and every request in flight
// is answered before stop returns (idempotent).
func (w *workload) stop() {
	w.haltOnce.Do(func() { close(w.halt) })
	w.wg.Wait()
}

// halted reports whether stop was called.
func (w *workload) halted() bool {
	select {
	case <-w.halt:
		return true
	default:
		return false
	}
}

// waitWriters waits until every writer has had all its writes answered
// (opts.writes > 0), then stops the readers.
func (w *workload) waitWriters(t *testing.T, timeout time.Duration) {
	t.Helper()
	want := w.opts.writers * w.opts.writes
	if !waitFor(timeout, func() bool { return w.settled() == want }) {
		t.Fatalf("%d of %d writes answered within %s; %s", w.settled(), want, timeout, w.summary())
	}
	w.stop()
}

// settled counts the writes answered in any way.
func (w *workload) settled() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks) + w.unavailable + w.cutOff + len(w.failures)
}

// markDown says the server i is about to die: its requests may go
// unanswered, and no new one is sent to it.
func (w *workload) markDown(i int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down[i] = true
}

// replace puts srv in place of the server i and sends it requests again.
func (w *workload) replace(i int, srv *e2etest.Server) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.servers[i], w.down[i] = srv, false
}

// pick returns a live server for the n-th request, or -1 when none is.
func (w *workload) pick(n int) (*e2etest.Server, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.servers {
		i := (n + k) % len(w.servers)
		if !w.down[i] {
			return w.servers[i], i
		}
	}
	return nil, -1
}

// write is writer i's loop: change sets to one asset of one tenant, each
// with a message naming it, setting load.w<i> to its sequence number.
func (w *workload) write(ctx context.Context, i int) {
	defer w.wg.Done()
	ti := i % len(w.tenants)
	lt := w.tenants[ti]
	asset := lt.assets[(i/len(w.tenants))%len(lt.assets)]
	path := apiBase + "/assets/" + asset + "/environments/" + loadEnvironment
	for seq := 1; (w.opts.writes == 0 || seq <= w.opts.writes) && !w.halted(); seq++ {
		srv, si := w.pick(i + seq)
		if srv == nil {
			if w.pause(ctx) != nil {
				return
			}
			seq--
			continue
		}
		msg := fmt.Sprintf("load writer %d change %d", i, seq)
		body := map[string]any{"message": msg, "set": map[string]any{"load": map[string]any{fmt.Sprintf("w%d", i): map[string]any{"value": seq}}}}
		sent := time.Now()
		status, data, err := w.send(ctx, srv, http.MethodPatch, path, body, lt.acct.headers())
		if ctx.Err() != nil {
			return
		}
		label := fmt.Sprintf("PATCH %s (writer %d, server %d)", path, i, si)
		if status == http.StatusOK {
			var v versioned
			if json.Unmarshal(data, &v) != nil || v.Version < 2 {
				w.fail(label + ": 200 without a version: " + string(data))
				continue
			}
			w.mu.Lock()
			w.acks = append(w.acks, ack{tenant: ti, writer: i, seq: seq, asset: asset, message: msg, version: v.Version, sent: sent, answered: time.Now()})
			w.mu.Unlock()
			continue
		}
		w.unanswered(label, si, status, data, err)
	}
}

// read is reader i's loop: resolved configs of one tenant with its API key,
// which must hold that tenant's slug.
func (w *workload) read(ctx context.Context, i int) {
	defer w.wg.Done()
	ti := i % len(w.tenants)
	lt := w.tenants[ti]
	for n := 0; ctx.Err() == nil && !w.halted(); n++ {
		srv, si := w.pick(i + n)
		if srv == nil {
			if w.pause(ctx) != nil {
				return
			}
			continue
		}
		asset := lt.assets[n%len(lt.assets)]
		status, data, err := w.send(ctx, srv, http.MethodGet, valuesPath(asset, loadEnvironment), nil, map[string]string{"X-API-Key": lt.key.Key})
		if ctx.Err() != nil {
			return
		}
		label := fmt.Sprintf("GET %s (reader %d, server %d)", valuesPath(asset, loadEnvironment), i, si)
		if status == http.StatusOK {
			var r resolved
			if json.Unmarshal(data, &r) != nil || r.Config["owner"]["tenant"] != lt.acct.tenant {
				w.fail(label + ": another tenant's or no config: " + string(data))
				continue
			}
			w.mu.Lock()
			w.reads++
			w.mu.Unlock()
			continue
		}
		w.unanswered(label, si, status, data, err)
	}
}

// unanswered records a request that got no 200: a 503 SERVICE_UNAVAILABLE
// when allowed, no answer from a server marked down, or else a failure.
func (w *workload) unanswered(label string, server, status int, body []byte, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastUnanswered = time.Now()
	switch {
	case err != nil && w.down[server]:
		w.cutOff++
	case err != nil:
		w.failures = append(w.failures, label+": no answer: "+err.Error())
	case status == http.StatusServiceUnavailable && errorCode(body) == "SERVICE_UNAVAILABLE" && w.opts.allowUnavailable:
		w.unavailable++
	default:
		w.failures = append(w.failures, fmt.Sprintf("%s: %d %s", label, status, truncate(body, 300)))
	}
}

// fail records an answer the contract forbids.
func (w *workload) fail(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failures = append(w.failures, msg)
}

// send sends one request and returns its status and body.
func (w *workload) send(ctx context.Context, srv *e2etest.Server, method, path string, body any, headers map[string]string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// ackCount returns how many writes were acknowledged so far.
func (w *workload) ackCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks)
}

// waitAcks waits until n writes in all are acknowledged.
func (w *workload) waitAcks(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	if !waitFor(timeout, func() bool { return w.ackCount() >= n }) {
		t.Fatalf("%d writes acknowledged within %s, want %d; %s", w.ackCount(), timeout, n, w.summary())
	}
}

// waitMoreAcks waits until n more writes are acknowledged than now.
func (w *workload) waitMoreAcks(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	w.waitAcks(t, w.ackCount()+n, timeout)
}

// waitUnanswered waits until a request sent through the stack fails after
// since: the fault is seen from outside.
func (w *workload) waitUnanswered(t *testing.T, since time.Time, timeout time.Duration) {
	t.Helper()
	if !waitFor(timeout, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.lastUnanswered.After(since)
	}) {
		t.Fatalf("no request failed within %s of the fault; %s", timeout, w.summary())
	}
}

// firstAckSentAfter waits for the first acknowledged write sent after since
// and returns how long after since its answer came.
func (w *workload) firstAckSentAfter(t *testing.T, since time.Time, timeout time.Duration) time.Duration {
	t.Helper()
	var took time.Duration
	if !waitFor(timeout, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, a := range w.acks {
			if !a.sent.Before(since) {
				took = a.answered.Sub(since)
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no write sent after the recovery was acknowledged within %s; %s", timeout, w.summary())
	}
	return took
}

// summary describes the load so far.
func (w *workload) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("%d writes acknowledged, %d reads, %d answers 503 SERVICE_UNAVAILABLE, %d requests cut off by a killed process, %d forbidden answers",
		len(w.acks), w.reads, w.unavailable, w.cutOff, len(w.failures))
}

// verify stops the load and checks through srv: no forbidden answer came;
// every acknowledged write is in its asset's versions, under its version
// number and message, and each writer's last one holds its value; each
// asset's versions are consecutive from 1; each tenant's audit chain
// verifies and grew by exactly one entry per new version; and every server
// in readers serves each asset's last version within propagationBound.
func (w *workload) verify(t *testing.T, srv *e2etest.Server, readers ...*e2etest.Server) {
	t.Helper()
	w.stop()
	t.Log(w.summary())
	w.mu.Lock()
	failures, acks := w.failures, w.acks
	w.mu.Unlock()
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more forbidden answers", len(failures)-10)
			break
		}
		t.Errorf("forbidden answer during the load: %s", f)
	}
	if len(acks) == 0 {
		t.Fatal("no write was acknowledged")
	}
	for ti, lt := range w.tenants {
		acct := lt.acct.on(srv)
		versions := 0
		for _, asset := range lt.assets {
			messages := consecutiveVersions(t, acct, asset)
			versions += len(messages)
			last := map[int]ack{}
			for _, a := range acks {
				if a.tenant != ti || a.asset != asset {
					continue
				}
				if got := messages[a.version]; got != a.message {
					t.Errorf("%s/%s version %d was acknowledged for %q but holds %q", lt.acct.tenant, asset, a.version, a.message, got)
				}
				if a.seq > last[a.writer].seq {
					last[a.writer] = a
				}
			}
			for _, a := range last {
				requireWriterValue(t, acct, a)
			}
			for _, r := range readers {
				requireServedVersion(t, r, lt.key.Key, asset, len(messages))
			}
		}
		audit := decode[auditVerify](t, acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil))
		if !audit.Valid {
			t.Errorf("tenant %s: the audit chain does not verify: %+v", lt.acct.tenant, audit)
		}
		base := w.baseline[ti]
		if grew, made := audit.Entries-base.entries, versions-base.versions; grew != int64(made) {
			t.Errorf("tenant %s: the audit chain grew by %d entries for %d new versions", lt.acct.tenant, grew, made)
		}
	}
}

// counts reads a tenant's audit chain length and number of versions.
func (w *workload) counts(t *testing.T, lt loadTenant, srv *e2etest.Server) tenantCounts {
	t.Helper()
	acct := lt.acct.on(srv)
	c := tenantCounts{entries: decode[auditVerify](t, acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil)).Entries}
	for _, asset := range lt.assets {
		c.versions += len(consecutiveVersions(t, acct, asset))
	}
	return c
}

// consecutiveVersions lists an asset's versions of loadEnvironment, fails t
// unless they are numbered from the newest down to 1 without a gap, and
// returns each one's message by number.
func consecutiveVersions(t *testing.T, acct account, asset string) map[int]string {
	t.Helper()
	list := decode[struct {
		Versions []struct {
			Version int    `json:"version"`
			Message string `json:"message"`
		} `json:"versions"`
	}](t, acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/assets/"+asset+"/versions?environment="+loadEnvironment, nil))
	messages := map[int]string{}
	for i, v := range list.Versions {
		if want := len(list.Versions) - i; v.Version != want {
			t.Fatalf("%s's versions are not consecutive: position %d of %d holds version %d, want %d", asset, i, len(list.Versions), v.Version, want)
		}
		messages[v.Version] = v.Message
	}
	return messages
}

// requireWriterValue checks that the version a write made holds its value.
func requireWriterValue(t *testing.T, acct account, a ack) {
	t.Helper()
	got := decode[struct {
		Values map[string]map[string]struct {
			Value any `json:"value"`
		} `json:"values"`
	}](t, acct.must(t, http.StatusOK, http.MethodGet, fmt.Sprintf("%s/assets/%s/versions/%d?environment=%s", apiBase, a.asset, a.version, loadEnvironment), nil))
	if v := got.Values["load"][fmt.Sprintf("w%d", a.writer)].Value; v != float64(a.seq) {
		t.Errorf("%s version %d holds load.w%d = %v, want %d", a.asset, a.version, a.writer, v, a.seq)
	}
}

// requireServedVersion waits until srv serves version want of an asset with
// key, at most propagationBound after the load stopped.
func requireServedVersion(t *testing.T, srv *e2etest.Server, key, asset string, want int) {
	t.Helper()
	start := time.Now()
	for {
		resp, body := readWithKey(t, srv, key, asset, loadEnvironment)
		requireStatus(t, resp, body, http.StatusOK)
		got := decode[resolved](t, body).Version
		if got == want {
			return
		}
		if time.Since(start) > propagationBound {
			t.Errorf("%s after the load stopped, %s serves %s version %d, want the last, %d", time.Since(start), srv.URL, asset, got, want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pause waits 20ms for a server to come back, unless the load ends first.
func (w *workload) pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.halt:
		return context.Canceled
	case <-time.After(20 * time.Millisecond):
		return nil
	}
}

// truncate shortens a body for a message.
func truncate(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
