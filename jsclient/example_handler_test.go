package jsclient_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/rtchat/rtchat/jsclient"
)

// An app serves the module next to its chat endpoint; a page then imports
// it with import { Chat } from "/static/rtchat.js".
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("GET /static/rtchat.js", jsclient.Handler())
	// mux.Handle(chat.Path(), chat) serves the WebSocket endpoint beside it.
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/static/rtchat.js")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	fmt.Println(res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	// Output:
	// 200 OK text/javascript; charset=utf-8 no-cache
}
