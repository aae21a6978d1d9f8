// Command edgexpeer is an EdgeX peer made of EdgeX's own Go libraries (go-mod-messaging/v4 and
// go-mod-core-contracts/v4 v4.0.3). The interop test tier (tests/interop) runs it against a real
// Mosquitto to check that app-vision and EdgeX's code understand each other on the wire.
//
//	edgexpeer publish-event     publish an AddEventRequest exactly as device-sdk-go's SendEvent does
//	edgexpeer consume-events    decode events as core-data does and validate them with EdgeX's DTO code
//	edgexpeer command-responder answer core-command bus requests (a stand-in built from EdgeX's envelope code)
//	edgexpeer escape-names      common.URLEncode and url.PathUnescape of each argument
//
// Wire form follows the environment like every EdgeX service: EDGEX_MSG_BASE64_PAYLOAD=true,
// EDGEX_MSG_CBOR_ENCODE=true (read by go-mod-messaging itself). Output: one JSON object per line
// on stdout; diagnostics on stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/edgexfoundry/go-mod-messaging/v4/messaging"
	"github.com/edgexfoundry/go-mod-messaging/v4/pkg/types"
)

type busFlags struct {
	host     string
	port     int
	clientID string
}

func (b *busFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.host, "host", "127.0.0.1", "MQTT broker host")
	fs.IntVar(&b.port, "port", 1883, "MQTT broker port")
	fs.StringVar(&b.clientID, "client-id", "", "MQTT client id (default: random, as in go-mod-messaging)")
}

// connect builds the client exactly as go-mod-bootstrap does from a MessageBus section
// (Type mqtt, Protocol tcp, the common-config Optional values).
func (b *busFlags) connect() (messaging.MessageClient, error) {
	optional := map[string]string{
		"Qos":            "0",
		"KeepAlive":      "10",
		"Retained":       "false",
		"AutoReconnect":  "true",
		"ConnectTimeout": "5",
	}
	if b.clientID != "" {
		optional["ClientId"] = b.clientID
	}
	client, err := messaging.NewMessageClient(types.MessageBusConfig{
		Broker:   types.HostInfo{Host: b.host, Port: b.port, Protocol: "tcp"},
		Type:     messaging.MQTT,
		Optional: optional,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the message client: %w", err)
	}
	if err := client.Connect(); err != nil {
		return nil, fmt.Errorf("connecting to tcp://%s:%d: %w", b.host, b.port, err)
	}
	return client, nil
}

// emit writes one JSON line on stdout.
func emit(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		line, _ = json.Marshal(map[string]string{"marshalError": err.Error()})
	}
	fmt.Println(string(line))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "edgexpeer: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: edgexpeer publish-event|consume-events|command-responder|escape-names [flags]")
	}
	commands := map[string]func([]string) error{
		"publish-event":     publishEvent,
		"consume-events":    consumeEvents,
		"command-responder": commandResponder,
		"escape-names":      escapeNames,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fail("unknown subcommand %s", strconv.Quote(os.Args[1]))
	}
	if err := run(os.Args[2:]); err != nil {
		fail("%s: %v", os.Args[1], err)
	}
}

// jsonSafe turns what a CBOR decode into `any` yields (map[any]any) into JSON-encodable values.
func jsonSafe(v any) any {
	switch value := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(value))
		for k, item := range value {
			out[fmt.Sprint(k)] = jsonSafe(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(value))
		for k, item := range value {
			out[k] = jsonSafe(item)
		}
		return out
	case []any:
		out := make([]any, len(value))
		for i, item := range value {
			out[i] = jsonSafe(item)
		}
		return out
	}
	return v
}
