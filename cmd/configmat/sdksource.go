package main

import (
	"context"
	"errors"

	"github.com/configmat/configmat/sdk"
)

// sdkSource is the SDK's client as the client commands' configSource.
type sdkSource struct{ client *sdk.Client }

// newSDKSource returns the SDK's client of the server s names, with s's
// fallback file.
func newSDKSource(s clientSettings) (configSource, error) {
	opts := []sdk.Option{sdk.WithUserAgent("configmat-cli/" + version)}
	if s.FallbackFile != "" {
		opts = append(opts, sdk.WithFallbackFile(s.FallbackFile))
	}
	c, err := sdk.New(s.Addr, s.APIKey, opts...)
	if err != nil {
		return nil, &exitError{code: 2, err: errors.New(oneLine(err))}
	}
	return &sdkSource{client: c}, nil
}

// Get implements configSource.
func (s *sdkSource) Get(ctx context.Context, asset, environment string) (resolved, error) {
	cfg, err := s.client.Get(ctx, asset, environment)
	if err != nil {
		return resolved{}, fromSDKError(err)
	}
	return fromSDK(cfg), nil
}

// Watch implements configSource.
func (s *sdkSource) Watch(ctx context.Context, asset, environment string, fn func(resolved)) error {
	return fromSDKError(s.client.Watch(ctx, asset, environment, func(cfg *sdk.Config) { fn(fromSDK(cfg)) }))
}

// fromSDK is an SDK configuration as the client commands use it.
func fromSDK(cfg *sdk.Config) resolved {
	return resolved{Asset: cfg.Asset, Environment: cfg.Environment, Version: cfg.Version, Values: cfg.Values, FromFallback: cfg.FromFallback}
}

// fromSDKError makes an SDK error match errUnreachable when the server
// could not be reached, and says that an error answer is the server's.
func fromSDKError(err error) error {
	var answer *sdk.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sdk.ErrUnreachable):
		return &unreachableError{err: err}
	case errors.As(err, &answer):
		return &serverAnswerError{err: answer}
	}
	return err
}

// unreachableError is an SDK error that says the server could not be
// reached; it matches errUnreachable.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string        { return e.err.Error() }
func (e *unreachableError) Unwrap() error        { return e.err }
func (e *unreachableError) Is(target error) bool { return target == errUnreachable }

// serverAnswerError is an error answer of the server (401 INVALID_API_KEY,
// 404 ASSET_NOT_FOUND, ...).
type serverAnswerError struct{ err *sdk.Error }

func (e *serverAnswerError) Error() string { return "the server answered " + oneLine(e.err) }
func (e *serverAnswerError) Unwrap() error { return e.err }
