-- +goose Up
CREATE TABLE visits (id BIGINT PRIMARY KEY, ward_id BIGINT NOT NULL REFERENCES wards (id), at TIMESTAMPTZ NOT NULL);

-- +goose Down
DROP TABLE visits;
