// Package web is the example hospital dashboard's HTTP side: the page
// (plain HTML, CSS and a little JavaScript, embedded) and its JSON API,
// written as a single-tenant chi application writes them. Every query
// passes the request's context to GORM; that is all the handlers need
// to reach the request's tenant once the plugin is installed and the
// tenant middleware is in front of them (NewRouter).
package web
