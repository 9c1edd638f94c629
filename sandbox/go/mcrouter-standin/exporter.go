package main

// The mcrouter_exporter stand-in (see main.go): NOT Dev25/mcrouter_exporter. It takes that exporter's flags
// and, per scrape, asks mcrouter `stats all` (and `stats servers` with -mcrouter.server_metrics), serving
// mcrouter_up, the config reload times and the per-server TKO gauges under the real exporter's names.

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

func runExporter() {
	address := flag.String("mcrouter.address", "localhost:5000", "mcrouter address")
	listen := flag.String("web.listen-address", ":9442", "where to serve /metrics")
	serverMetrics := flag.Bool("mcrouter.server_metrics", false, "per-server metrics")
	flag.Parse()
	http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# mcrouter_exporter stand-in (NOT Dev25/mcrouter_exporter)\n")
		all, servers, err := scrapeMcrouter(*address, *serverMetrics)
		if err != nil {
			log.Printf("scrape %s: %v", *address, err)
			fmt.Fprint(w, "mcrouter_up 0\n")
			return
		}
		fmt.Fprint(w, "mcrouter_up 1\n")
		for _, name := range []string{"config_last_attempt", "config_last_success", "config_failures"} {
			fmt.Fprintf(w, "mcrouter_%s %s\n", name, all[name])
		}
		for _, line := range servers {
			id := strings.Fields(strings.SplitN(line, ";", 2)[0])[1]
			for _, state := range []string{"soft_tko", "hard_tko"} {
				value := 0
				if strings.Contains(" "+line+" ", " "+state+" ") {
					value = 1
				}
				fmt.Fprintf(w, "mcrouter_server_memcached_%s{server=%q} %d\n", state, id, value)
			}
		}
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "<html><body>mcrouter_exporter stand-in: <a href='/metrics'>Metrics</a></body></html>\n")
	})
	log.Printf("mcrouter_exporter stand-in (NOT Dev25/mcrouter_exporter) on %s, reading %s", *listen, *address)
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// scrapeMcrouter returns `stats all` as name -> value, and the lines of `stats servers` when asked.
func scrapeMcrouter(address string, serverMetrics bool) (map[string]string, []string, error) {
	conn, err := net.DialTimeout("tcp", address, time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(conn)
	lines := func(command string) ([]string, error) {
		if _, err := fmt.Fprintf(conn, "%s\r\n", command); err != nil {
			return nil, err
		}
		var out []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return nil, err
			}
			if line == "END\r\n" {
				return out, nil
			}
			if !strings.HasPrefix(line, "STAT ") {
				return nil, fmt.Errorf("%s: unexpected %q", command, line)
			}
			out = append(out, strings.TrimRight(line, "\r\n"))
		}
	}
	statLines, err := lines("stats all")
	if err != nil {
		return nil, nil, err
	}
	all := map[string]string{}
	for _, line := range statLines {
		if parts := strings.SplitN(line, " ", 3); len(parts) == 3 {
			all[parts[1]] = parts[2]
		}
	}
	if !serverMetrics {
		return all, nil, nil
	}
	servers, err := lines("stats servers")
	return all, servers, err
}
