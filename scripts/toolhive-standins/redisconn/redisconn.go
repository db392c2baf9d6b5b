// Package redisconn is a stand-in for github.com/stacklok/toolhive-core/redisconn, which the Go
// module proxy refuses (403). It has the types ToolHive v0.63.0 compiles against; every
// constructor fails. It backs Redis session storage, rate limiting and the embedded auth
// server's Redis store: none is used by a static-mode vMCP (in-memory sessions) or by the
// operator's reconcile of a VirtualMCPServer, so no test reaches it.
package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStandIn is returned by every function of this stand-in.
var ErrStandIn = errors.New("redisconn stand-in (vmcp-components scripts/toolhive): Redis is not available in this build")

// Config mirrors the fields ToolHive sets.
type Config struct {
	Addr           string
	Username       string
	Password       string
	DB             int
	ClusterMode    bool
	SentinelConfig *SentinelConfig
	TLS            *TLSConfig
	SentinelTLS    *TLSConfig
	DialTimeout    time.Duration
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
}

// SentinelConfig mirrors the fields ToolHive sets.
type SentinelConfig struct {
	MasterName    string
	SentinelAddrs []string
}

// TLSConfig mirrors the fields ToolHive sets.
type TLSConfig struct {
	InsecureSkipVerify bool
	CACert             []byte
}

// NewClient always fails.
func NewClient(_ context.Context, _ *Config) (redis.UniversalClient, error) { return nil, ErrStandIn }

// BuildTLSConfig always fails.
func BuildTLSConfig(_ *TLSConfig) (*tls.Config, error) { return nil, ErrStandIn }
