// mcrouter-standin: NOT mcrouter. mcrouter (C++/folly) cannot be obtained or built on the machines that run
// the real-pods e2e, so its DaemonSet runs this instead, under the image name localhost/mcrouter-standin.
// It takes mcrouter's command line (only --port and --config=file:PATH are used, the rest is ignored), reads
// the pool from mcrouter's config file on every new connection (as mcrouter reloads it), answers
// `get __mcrouter__.version` itself, and forwards every other memcached ASCII request to one pool server,
// chosen by FNV-1a of the key modulo the pool size (not mcrouter's ch3). So the path app -> node:5000 ->
// proxy pod -> memcached pod by its DNS name is real; mcrouter's own routing is proven by its config tests.
// It answers `stats all` and `stats servers` with a few of mcrouter's own stat names and line shapes
// (mcrouter stats.cpp; the server id as host:port:protocol:security:compression-timeout).
//
// Run as /mcrouter_exporter (the real exporter image's ENTRYPOINT), it stands in for Dev25/mcrouter_exporter,
// which cannot be had here either: it takes that exporter's flags and serves mcrouter_up and the TKO gauges
// from those two commands, nothing more (exporter.go).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const versionKey = "__mcrouter__.version"
const versionValue = "mcrouter-standin (not mcrouter)"

type routingConfig struct {
	Pools map[string]struct {
		Servers []string `json:"servers"`
	} `json:"pools"`
	Route struct {
		Pool string `json:"pool"`
	} `json:"route"`
}

func main() {
	if filepath.Base(os.Args[0]) == "mcrouter_exporter" {
		runExporter()
		return
	}
	port, configFile := "5000", ""
	for _, a := range os.Args[1:] {
		switch {
		case strings.HasPrefix(a, "--port="):
			port = strings.TrimPrefix(a, "--port=")
		case strings.HasPrefix(a, "--config=file:"):
			configFile = strings.TrimPrefix(a, "--config=file:")
		}
	}
	if configFile == "" {
		log.Fatal("mcrouter-standin: --config=file:PATH is required")
	}
	if _, err := loadServers(configFile); err != nil {
		log.Fatalf("mcrouter-standin: %v", err)
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatalf("mcrouter-standin: %v", err)
	}
	log.Printf("mcrouter-standin (NOT mcrouter) listening on :%s, pool from %s", port, configFile)
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			continue
		}
		go serve(conn, configFile)
	}
}

func loadServers(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c routingConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	servers := c.Pools[c.Route.Pool].Servers
	if len(servers) == 0 {
		return nil, fmt.Errorf("%s: route.pool %q has no servers", path, c.Route.Pool)
	}
	return servers, nil
}

type backend struct {
	conn net.Conn
	r    *bufio.Reader
}

func serve(client net.Conn, configFile string) {
	defer client.Close()
	servers, err := loadServers(configFile)
	if err != nil {
		fmt.Fprintf(client, "SERVER_ERROR %v\r\n", err)
		return
	}
	backends := map[string]*backend{}
	defer func() {
		for _, b := range backends {
			b.conn.Close()
		}
	}()
	in := bufio.NewReader(client)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		var reply []byte
		switch cmd := fields[0]; {
		case cmd == "quit":
			return
		case cmd == "version":
			reply = []byte("VERSION " + versionValue + "\r\n")
		case cmd == "stats":
			reply = stats(fields[1:], servers)
		case (cmd == "get" || cmd == "gets") && len(fields) > 1:
			reply, err = getMany(cmd, fields[1:], servers, backends)
		case len(fields) > 1:
			var body []byte
			if isStorage(cmd) {
				body, err = readBody(in, fields)
			}
			if err == nil {
				reply, err = forward(pick(fields[1], servers), backends, append([]byte(line), body...), false)
			}
		default:
			reply = []byte("ERROR\r\n")
		}
		if err != nil {
			reply = []byte(fmt.Sprintf("SERVER_ERROR %v\r\n", err))
		}
		if _, err := client.Write(reply); err != nil {
			return
		}
	}
}

var startTime = time.Now().Unix()

// stats answers `stats [all]` and `stats servers` in mcrouter's shapes; the config was loaded once, at start.
func stats(args []string, servers []string) []byte {
	var out strings.Builder
	if len(args) > 0 && args[0] == "servers" {
		for _, s := range servers {
			fmt.Fprintf(&out, "STAT %s:ascii:plain:notcompressed-1000 avg_latency_us:0 pending_reqs:0 inflight_reqs:0 up:1\r\n", s)
		}
	} else {
		for _, kv := range [][2]string{{"version", versionValue}, {"commandargs", strings.Join(os.Args[1:], " ")},
			{"start_time", strconv.FormatInt(startTime, 10)}, {"num_servers", strconv.Itoa(len(servers))},
			{"config_last_attempt", strconv.FormatInt(startTime, 10)}, {"config_last_success", strconv.FormatInt(startTime, 10)},
			{"config_failures", "0"}} {
			fmt.Fprintf(&out, "STAT %s %s\r\n", kv[0], kv[1])
		}
	}
	out.WriteString("END\r\n")
	return []byte(out.String())
}

func isStorage(cmd string) bool {
	switch cmd {
	case "set", "add", "replace", "append", "prepend", "cas":
		return true
	}
	return false
}

// readBody reads a storage command's data block: <bytes> is its 5th field, then \r\n.
func readBody(in *bufio.Reader, fields []string) ([]byte, error) {
	if len(fields) < 5 {
		return nil, errors.New("bad command line format")
	}
	n, err := strconv.Atoi(fields[4])
	if err != nil || n < 0 {
		return nil, errors.New("bad data chunk")
	}
	body := make([]byte, n+2)
	_, err = io.ReadFull(in, body)
	return body, err
}

func pick(key string, servers []string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return servers[h.Sum32()%uint32(len(servers))]
}

// getMany answers the version key itself and asks each other key's server, one key at a time.
func getMany(cmd string, keys []string, servers []string, backends map[string]*backend) ([]byte, error) {
	var out []byte
	for _, key := range keys {
		if key == versionKey {
			out = append(out, fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\n", key, len(versionValue), versionValue)...)
			continue
		}
		reply, err := forward(pick(key, servers), backends, []byte(cmd+" "+key+"\r\n"), true)
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimSuffix(string(reply), "END\r\n")...)
	}
	return append(out, "END\r\n"...), nil
}

func forward(server string, backends map[string]*backend, request []byte, isGet bool) ([]byte, error) {
	b := backends[server]
	if b == nil {
		conn, err := net.DialTimeout("tcp", server, 2*time.Second)
		if err != nil {
			return nil, err
		}
		b = &backend{conn: conn, r: bufio.NewReader(conn)}
		backends[server] = b
	}
	b.conn.SetDeadline(time.Now().Add(2 * time.Second))
	reply, err := exchange(b, request, isGet)
	if err != nil {
		b.conn.Close()
		delete(backends, server)
	}
	return reply, err
}

// exchange sends one request and reads its whole reply: one line, or VALUE blocks up to END for a get.
func exchange(b *backend, request []byte, isGet bool) ([]byte, error) {
	if _, err := b.conn.Write(request); err != nil {
		return nil, err
	}
	var out []byte
	for {
		line, err := b.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		out = append(out, line...)
		fields := strings.Fields(line)
		if !isGet || len(fields) == 0 || fields[0] != "VALUE" {
			return out, nil
		}
		if len(fields) < 4 {
			return nil, errors.New("bad VALUE line from server")
		}
		n, err := strconv.Atoi(fields[3])
		if err != nil {
			return nil, err
		}
		data := make([]byte, n+2)
		if _, err := io.ReadFull(b.r, data); err != nil {
			return nil, err
		}
		out = append(out, data...)
	}
}
