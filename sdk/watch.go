package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Internal outcomes of one connection; none reaches the caller.
var (
	// errStreamRefused: the watch route is not streamed to us (a proxy or an
	// older server); Watch long-polls instead.
	errStreamRefused = errors.New("configmat: streaming refused")
	// errStreamEnded: the server ended the stream cleanly (it shuts down).
	errStreamEnded = errors.New("configmat: the server ended the stream")
	// errProbeStream: long polling has gone on long enough to try
	// streaming again.
	errProbeStream = errors.New("configmat: trying to stream again")
	// errIdle: a stream sent nothing, not even a keep-alive, for too long.
	errIdle = errors.New("configmat: the stream went silent")
)

// Watch calls fn with the current configuration and then with every change,
// until ctx ends (it returns ctx.Err()) or a permanent error ends it: an
// *Error for 400, 401, 403 or 404 (a missing asset or environment), or an
// error matching ErrDeleted when the asset was deleted.
//
// It streams (GET .../values/watch) and, whenever the stream breaks or the
// server ends it, reconnects after a random delay in [0, min(max,
// base*2^n)] (n counts the failures since the last connection that
// delivered a configuration or stayed up), waiting at least a 429's or 503's
// Retry-After, and sends Last-Event-ID so that an unchanged configuration is
// not sent again. When streaming is refused (a 404 for the route, 405, 502
// or 504, a 200 that is not text/event-stream, or a stream on which nothing
// at all arrives, as behind a buffering proxy) it long-polls the values
// route (?wait=) instead, and tries streaming again every few minutes.
// When the server cannot be reached before anything was delivered and a
// fallback file holds the configuration, fn first gets that one (with
// FromFallback set).
//
// fn is never called concurrently and never twice with the same ETag; each
// call gets its own Config, which the SDK never changes afterwards.
func (c *Client) Watch(ctx context.Context, asset, env string, fn func(*Config)) error {
	if err := checkNames(asset, env); err != nil {
		return err
	}
	if fn == nil {
		return errors.New("configmat: Watch needs a function to call")
	}
	w := &watcher{c: c, asset: asset, env: env, fn: fn,
		backoff: backoff{base: c.opts.backoffBase, max: c.opts.backoffMax, rand: c.opts.random}}
	return w.run(ctx)
}

// watcher is one Watch call's state.
type watcher struct {
	c          *Client
	asset, env string
	fn         func(*Config)
	backoff    backoff
	// etag is the ETag of the configuration fn got last, with quotes.
	etag string
	// delivered is set once fn has been called.
	delivered bool
	// triedRead is set once firstRead ran.
	triedRead bool
}

// run streams or long-polls until ctx ends or a permanent error.
func (w *watcher) run(ctx context.Context) error {
	log := w.c.opts.logger.With("asset", w.asset, "environment", w.env)
	polling := false
	for {
		var healthy bool
		var err error
		if polling {
			healthy, err = w.poll(ctx)
		} else {
			healthy, err = w.stream(ctx)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if healthy {
			w.backoff.reset()
		}
		switch {
		case errors.Is(err, ErrDeleted):
			w.c.forget(w.asset, w.env)
			return err
		case errors.Is(err, errStreamRefused):
			log.Warn("configmat: the watch stream is refused; long polling instead", "reason", err.Error())
			polling = true
			continue
		case errors.Is(err, errProbeStream):
			polling = false
			continue
		}
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.permanent() {
			return err
		}
		if !w.delivered && !w.triedRead {
			// The application is waiting for its first configuration: a
			// plain read, or else the fallback file, may give it one now.
			w.triedRead = true
			if err := w.firstRead(ctx); err != nil {
				return err
			}
		}
		delay := w.backoff.next()
		if apiErr != nil {
			delay += apiErr.RetryAfter
		}
		log.Debug("configmat: watch reconnecting", "after", delay.String(), "reason", err.Error())
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// firstRead runs when the first stream failed before anything was
// delivered: it reads the values route once (a stream refused for a reason
// of its own, such as too many streams, leaves it working) and delivers
// what it answers, or, when the server cannot answer, what the fallback
// file holds. It returns only a permanent error or the end of ctx.
func (w *watcher) firstRead(ctx context.Context) error {
	cfg, err := w.c.fetch(ctx, w.c.http, w.asset, w.env, "", 0)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var apiErr *Error
	switch {
	case err == nil:
		w.deliver(cfg)
	case errors.As(err, &apiErr) && apiErr.permanent():
		return err
	case unavailable(err) && w.c.fallback != nil:
		w.deliverFallback(err)
	}
	return nil
}

// deliverFallback calls fn with the fallback file's configuration, if it
// holds one; cause is why the server could not answer.
func (w *watcher) deliverFallback(cause error) {
	cfg, err := w.c.fallback.load(w.asset, w.env)
	if err != nil {
		if !errors.Is(err, errNoFallback) {
			w.c.opts.logger.Warn("configmat: the fallback file cannot answer", "asset", w.asset, "environment", w.env, "error", err.Error())
		}
		return
	}
	w.c.opts.logger.Warn("configmat: the server cannot be reached; using the fallback file until it can",
		"asset", w.asset, "environment", w.env, "version", cfg.Version, "error", cause.Error())
	w.etag, w.delivered = cfg.ETag, true
	w.fn(cfg)
}

// deliver calls fn with cfg unless fn already got that ETag, and keeps it
// for Get and the fallback file. It reports whether fn was called.
func (w *watcher) deliver(cfg *Config) bool {
	if cfg.ETag != "" && cfg.ETag == w.etag {
		return false
	}
	w.etag, w.delivered = cfg.ETag, true
	w.c.remember(cfg)
	w.fn(cfg)
	return true
}

// stream follows one watch stream until it ends. healthy reports whether
// it delivered a configuration or stayed up long enough to reset the
// backoff.
func (w *watcher) stream(ctx context.Context) (healthy bool, err error) {
	opts := &w.c.opts
	connCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(opts.idleTimeout, func() { cancel(errIdle) })
	defer idle.Stop()

	req, err := w.c.newRequest(connCtx, w.asset, "/values/watch", url.Values{"environment": {w.env}})
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if w.etag != "" {
		req.Header.Set("Last-Event-ID", strings.Trim(w.etag, `"`))
	}
	resp, err := w.c.long.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(context.Cause(connCtx), errIdle) {
			// Not even the headers came: a proxy that holds the answer back.
			return false, fmt.Errorf("%w: no answer in %s", errStreamRefused, opts.idleTimeout)
		}
		return false, w.c.transportError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if err := streamRefusal(resp); err != nil {
		return false, err
	}

	opened := time.Now()
	lines := 0
	events := newSSEReader(resp.Body, func() {
		lines++
		idle.Reset(opts.idleTimeout)
	})
	for {
		ev, err := events.next()
		if err != nil {
			healthy = healthy || time.Since(opened) >= opts.healthyAfter
			switch {
			case ctx.Err() != nil:
				return healthy, ctx.Err()
			case errors.Is(context.Cause(connCtx), errIdle) && lines == 0:
				return healthy, fmt.Errorf("%w: nothing arrived on the stream in %s", errStreamRefused, opts.idleTimeout)
			case errors.Is(context.Cause(connCtx), errIdle):
				return healthy, &unreachableError{addr: w.c.base.Redacted(), err: errIdle}
			case errors.Is(err, io.EOF):
				return healthy, errStreamEnded
			case errors.Is(err, errEventTooLarge):
				return healthy, err
			}
			return healthy, w.c.transportError(ctx, err)
		}
		switch ev.name {
		case "config":
			etag := ""
			if ev.id != "" {
				etag = `"` + ev.id + `"`
			}
			cfg, err := parseConfig(ev.data, etag, w.asset, w.env)
			if err != nil {
				return healthy, err
			}
			// The stream is not read while fn runs: its time is not silence.
			idle.Stop()
			w.deliver(cfg)
			idle.Reset(opts.idleTimeout)
			healthy = true
		case "deleted":
			return healthy, fmt.Errorf("%w: %s", ErrDeleted, w.asset)
		}
	}
}

// streamRefusal returns nil for a watch stream, errStreamRefused when the
// answer says that streaming is not available here, or the answer's error.
func streamRefusal(resp *http.Response) error {
	refused := func(why string) error {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return fmt.Errorf("%w: %s", errStreamRefused, why)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if !isEventStream(resp.Header.Get("Content-Type")) {
			return refused("the answer is " + resp.Header.Get("Content-Type") + ", not text/event-stream")
		}
		return nil
	case http.StatusMethodNotAllowed, http.StatusBadGateway, http.StatusGatewayTimeout:
		return refused(resp.Status)
	}
	apiErr := errorFrom(resp, time.Now())
	if apiErr.StatusCode == http.StatusNotFound && !apiErr.permanent() {
		return fmt.Errorf("%w: %s", errStreamRefused, "the watch route is not found")
	}
	return apiErr
}

// poll long-polls the values route until an error, or until it is time to
// try streaming again. healthy reports whether a poll worked.
func (w *watcher) poll(ctx context.Context) (healthy bool, err error) {
	opts := &w.c.opts
	probeAt := time.Now().Add(opts.streamProbe)
	for time.Now().Before(probeAt) {
		wait := opts.pollWait
		if w.etag == "" {
			wait = 0 // the server holds only a request with a current If-None-Match
		}
		start := time.Now()
		cfg, err := w.c.fetch(ctx, w.c.long, w.asset, w.env, w.etag, wait)
		if err != nil {
			return healthy, err
		}
		changed := cfg != nil && w.deliver(cfg)
		held := wait > 0 && time.Since(start) >= wait/2
		if held || (changed && w.etag != "") {
			healthy = true
			w.backoff.reset()
			continue
		}
		// The server answered at once without a change (it ignores wait,
		// or sends no ETag): poll again only after a backoff.
		if err := sleep(ctx, w.backoff.next()); err != nil {
			return healthy, err
		}
	}
	return healthy, errProbeStream
}
