package ops

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// rotationTenants is how many tenants (one data key each) the rotation test
// rewraps, one per batch.
const rotationTenants = 12

// rotationLimits keep the rate limits out of the load's way.
var rotationLimits = map[string]string{
	"RATE_LIMIT_ANON": "100000/hour", "RATE_LIMIT_USER": "100000/hour",
	"RATE_LIMIT_API_KEY": "100000/hour", "RATE_LIMIT_API_KEY_BURST": "100000/minute",
}

// rotationTenant is one tenant of the test: its owner, an API key and the
// secret it holds.
type rotationTenant struct {
	owner  account
	key    string
	secret string
}

// TestKeyRotationWhileServing: two servers serve reads and writes while
// `configmat keys rotate` rewraps every data key (killed once midway, then
// run again): no request fails, every secret stays readable, the final count
// on previous keys is zero, and once the previous key is removed the servers
// start again and read everything.
func TestKeyRotationWhileServing(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	oldKey, newKey := newEncryptionKey(t), newEncryptionKey(t)
	withOld := postgresEnv(db, oldKey, rotationLimits)
	rotating := postgresEnv(db, newKey, rotationLimits)
	rotating["ENCRYPTION_KEY_PREVIOUS"] = oldKey
	rotated := postgresEnv(db, newKey, rotationLimits)

	// The data, every data key wrapped by the old key.
	first := e2etest.Start(t, e2etest.Options{Env: withOld})
	tenants := make([]rotationTenant, rotationTenants)
	for i := range tenants {
		owner := registerAccount(t, first)
		owner.createAsset(t, "billing")
		secret := "s3cret-" + randomHex(t, 8)
		owner.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/billing/environments/prod", map[string]any{
			"message": "secret", "set": map[string]any{"db": map[string]any{"password": map[string]any{"value": secret, "secret": true}}},
		})
		tenants[i] = rotationTenant{owner: owner, key: owner.createAPIKey(t, "sdk", "").Key, secret: secret}
	}
	if code := first.Stop(t); code != 0 {
		t.Fatalf("the first server exited %d", code)
	}
	if code, _, stderr := e2etest.Run(t, e2etest.Options{Env: rotated, Args: []string{"migrate"}}, ""); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}

	servers := []*e2etest.Server{startServer(t, e2etest.Options{Env: rotating}), startServer(t, e2etest.Options{Env: rotating})}
	for _, srv := range servers {
		requireFeedLive(t, srv)
		if n := detailedHealth(t, srv).Checks["encryption"]["data_keys_on_previous_keys"]; n != float64(rotationTenants) {
			t.Fatalf("before rotating, health counts %v data keys on previous keys, want %d", n, rotationTenants)
		}
	}

	// The load: every tenant's secret read through both servers, and writes.
	stop := make(chan struct{})
	var reads, writes atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tn := tenants[i%len(tenants)]
				if got, err := readSecret(client, srv.URL, tn.key); err != nil || got != tn.secret {
					fail("read of tenant %s through %s: %q, %v", tn.owner.tenant, srv.URL, got, err)
				}
				reads.Add(1)
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tn := tenants[i%len(tenants)]
				body, _ := json.Marshal(map[string]any{"message": "load", "set": map[string]any{
					"db": map[string]any{"pool": map[string]any{"value": i}, "token": map[string]any{"value": fmt.Sprint("t", i), "secret": true}}}})
				req, _ := http.NewRequest(http.MethodPatch, srv.URL+apiBase+"/assets/billing/environments/prod", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range tn.owner.headers() {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					fail("write through %s: %v", srv.URL, err)
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fail("write through %s: %d %s", srv.URL, resp.StatusCode, data)
				}
				writes.Add(1)
			}
		}()
	}

	// The rotation, killed after its second batch, then run to the end.
	killRotationMidway(t, rotating)
	if n := detailedHealth(t, servers[0]).Checks["encryption"]["data_keys_on_previous_keys"]; n == float64(0) || n == float64(rotationTenants) {
		t.Fatalf("after the interrupted run, health counts %v data keys on previous keys, want some but not all", n)
	}
	code, out, stderr := e2etest.Run(t, e2etest.Options{Env: rotating, Args: []string{"keys", "rotate", "--batch", "1"}}, "")
	if code != 0 || !strings.Contains(out, "0 left on previous keys") {
		t.Fatalf("keys rotate exited %d:\n%s%s", code, out, stderr)
	}
	// Keep the load up a little after the rotation ends.
	before := reads.Load()
	if !waitFor(20*time.Second, func() bool { return reads.Load() > before+50 }) {
		t.Fatal("the load stopped reading")
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed during the rotation (of %d reads, %d writes), e.g.:\n%s", len(failures), reads.Load(), writes.Load(), strings.Join(failures, "\n"))
	}
	if reads.Load() < 100 || writes.Load() < 10 {
		t.Fatalf("the load made only %d reads and %d writes", reads.Load(), writes.Load())
	}
	t.Logf("%d reads and %d writes during the rotation, none failed", reads.Load(), writes.Load())
	for _, srv := range servers {
		if n := detailedHealth(t, srv).Checks["encryption"]["data_keys_on_previous_keys"]; n != float64(0) {
			t.Fatalf("after rotating, health counts %v data keys on previous keys", n)
		}
		if code := srv.Stop(t); code != 0 {
			t.Fatalf("a server exited %d", code)
		}
	}

	// Without the previous key, both start again and read everything.
	for range 2 {
		srv := startServer(t, e2etest.Options{Env: rotated})
		for _, tn := range tenants {
			if got, err := readSecret(client, srv.URL, tn.key); err != nil || got != tn.secret {
				t.Fatalf("without the previous key, tenant %s reads %q, %v", tn.owner.tenant, got, err)
			}
		}
	}
}

// killRotationMidway starts `configmat keys rotate --batch 1` and kills it
// (SIGKILL) once it has reported its second batch.
func killRotationMidway(t *testing.T, settings map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2etest.Binary(t), "keys", "rotate", "--batch", "1") // #nosec G204 -- the binary under test
	cmd.Env = e2etest.Environ(settings)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	batches := 0
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "rewrapped ") {
			batches++
		}
		if batches == 2 {
			_ = cmd.Process.Kill()
			break
		}
	}
	_ = cmd.Wait()
	if batches != 2 {
		t.Fatalf("keys rotate ended after %d batches, before it could be interrupted", batches)
	}
}

// readSecret reads billing/prod's db.password with an API key.
func readSecret(client *http.Client, base, key string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, base+valuesPath("billing", "prod"), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-API-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var r resolved
	if err := json.Unmarshal(body, &r); err != nil {
		return "", err
	}
	s, _ := r.Config["db"]["password"].(string)
	return s, nil
}
