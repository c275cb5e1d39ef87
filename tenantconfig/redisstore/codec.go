package redisstore

import (
	"encoding/json"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Codec encodes service configs as the store keeps them.
type Codec interface {
	Marshal(c tenantconfig.Config) ([]byte, error)
	Unmarshal(data []byte, c *tenantconfig.Config) error
}

// JSON is the default codec.
type JSON struct{}

// Marshal implements Codec.
func (JSON) Marshal(c tenantconfig.Config) ([]byte, error) { return json.Marshal(c) }

// Unmarshal implements Codec.
func (JSON) Unmarshal(data []byte, c *tenantconfig.Config) error { return json.Unmarshal(data, c) }

var _ Codec = JSON{}
