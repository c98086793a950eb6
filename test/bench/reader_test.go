package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// readTimeout bounds one request of the read path.
const readTimeout = 30 * time.Second

// reader sends the read path's request with an API key over a pool of
// keep-alive connections.
type reader struct {
	client *http.Client
	url    string
	apiKey string
}

// newReader returns a reader of url keeping up to conns idle connections;
// they are closed when tb ends.
func newReader(tb testing.TB, url, apiKey string, conns int) *reader {
	tb.Helper()
	transport := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	tb.Cleanup(transport.CloseIdleConnections)
	return &reader{client: &http.Client{Transport: transport, Timeout: readTimeout}, url: url, apiKey: apiKey}
}

// do sends one request and hands a 200 answer's body to consume.
func (r *reader) do(ctx context.Context, consume func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", r.apiKey)
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("GET %s: status %d: %s", r.url, resp.StatusCode, text)
	}
	return consume(resp.Body)
}

// fetch returns the body of one answer.
func (r *reader) fetch(ctx context.Context) ([]byte, error) {
	var body []byte
	err := r.do(ctx, func(rd io.Reader) error {
		var err error
		body, err = io.ReadAll(rd)
		return err
	})
	return body, err
}

// read reads one answer to its end and checks that it has wantBytes bytes.
func (r *reader) read(ctx context.Context, wantBytes int) error {
	return r.do(ctx, func(rd io.Reader) error {
		n, err := io.Copy(io.Discard, rd)
		if err == nil && n != int64(wantBytes) {
			err = fmt.Errorf("GET %s: %d bytes, want %d", r.url, n, wantBytes)
		}
		return err
	})
}

// warmUp opens conns connections by sending rounds of conns concurrent
// requests, so that the timed run starts on an established pool.
func (r *reader) warmUp(tb testing.TB, conns, wantBytes int) {
	tb.Helper()
	const rounds = 2
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for range rounds {
				if err := r.read(tb.Context(), wantBytes); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("warm-up: %v", err)
	}
}
