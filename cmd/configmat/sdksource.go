package main

import "errors"

// newSDKSource returns the SDK's client of the server s names.
func newSDKSource(s clientSettings) (configSource, error) {
	return nil, errors.New("the SDK is not wired yet")
}
