package redisstore

import (
	"encoding/json"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// Codec encodes service configs as the store keeps them.
type Codec interface {
	Marshal(c resolver.ServiceConfig) ([]byte, error)
	Unmarshal(data []byte, c *resolver.ServiceConfig) error
}

// JSON is the default codec.
type JSON struct{}

// Marshal implements Codec.
func (JSON) Marshal(c resolver.ServiceConfig) ([]byte, error) { return json.Marshal(c) }

// Unmarshal implements Codec.
func (JSON) Unmarshal(data []byte, c *resolver.ServiceConfig) error { return json.Unmarshal(data, c) }

var _ Codec = JSON{}
