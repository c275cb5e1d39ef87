module example.com/app

go 1.26.0

require (
	github.com/tenantrouter/tenantplugin v0.0.0-00010101000000-000000000000
	gorm.io/gorm v1.31.2
)

require (
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/tenantrouter/tenantplugin => ../..
