// Package tenantvet is a static analyzer for applications that use
// tenantplugin.
package tenantvet
