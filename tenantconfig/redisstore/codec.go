package redisstore

import (
	"encoding/json"

	"github.com/tenantrouter/tenantplugin/internal/configjson"
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

// Unmarshal implements Codec. Configs in the form Marshal writes them
// are read without reflection (a boot reads every tenant's); any other
// JSON is read by encoding/json, with the same result.
func (JSON) Unmarshal(data []byte, c *tenantconfig.Config) error {
	if configjson.Decode(data, c) {
		return nil
	}
	return json.Unmarshal(data, c)
}

var _ Codec = JSON{}
