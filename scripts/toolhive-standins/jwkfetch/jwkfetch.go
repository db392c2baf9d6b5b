// Package jwkfetch is a stand-in for github.com/jwx-go/jwkfetch/v4, which the Go module proxy
// refuses (403). It has the API ToolHive v0.63.0 compiles against; every call fails. It fetches
// JWKS for OIDC token validation (incoming auth type oidc) and for the embedded auth server's
// token exchange: the tests use anonymous incoming auth, so no test reaches it.
package jwkfetch

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v4/jwk"
)

// ErrStandIn is returned by every function of this stand-in.
var ErrStandIn = errors.New("jwkfetch stand-in (vmcp-components scripts/toolhive): JWKS fetching is not available in this build")

// Option is accepted and ignored.
type Option interface{}

// WithHTTPClient is accepted and ignored.
func WithHTTPClient(_ *http.Client) Option { return nil }

// WithMaxBodySize is accepted and ignored.
func WithMaxBodySize(_ int64) Option { return nil }

// WithConstantInterval is accepted and ignored.
func WithConstantInterval(_ time.Duration) Option { return nil }

// Cache never holds a key set.
type Cache struct{}

// NewCache always fails, so no Cache method is ever reached.
func NewCache(_ context.Context, _ *httprc.Client, _ ...Option) (*Cache, error) { return nil, ErrStandIn }

func (*Cache) Register(_ context.Context, _ string, _ ...Option) error     { return ErrStandIn }
func (*Cache) Lookup(_ context.Context, _ string) (jwk.Set, error)         { return nil, ErrStandIn }
func (*Cache) Refresh(_ context.Context, _ string) (jwk.Set, error)        { return nil, ErrStandIn }
func (*Cache) IsRegistered(_ context.Context, _ string) bool               { return false }
func (*Cache) Shutdown(_ context.Context) error                            { return nil }
