package healthcheck

import (
	"encoding/json"

	"github.com/aspirego/redis/internal/healthjson"
)

// json is the JSON form of rep (see internal/healthjson).
func (h *handler) json(rep report) []byte {
	out := healthjson.Report{
		Status:        rep.Status.String(),
		TotalDuration: healthjson.TimeSpan(rep.Duration),
		Entries:       make(map[string]healthjson.Entry, len(rep.Results)),
	}
	for _, r := range rep.Results {
		e := healthjson.Entry{Status: r.Status.String(), Duration: healthjson.TimeSpan(r.Duration), Tags: r.Tags}
		if e.Tags == nil {
			e.Tags = []string{}
		}
		if h.cfg.details && r.Err != nil {
			e.Description = h.redact(r.redact, r.Err.Error())
		}
		if h.cfg.details && len(r.Data) > 0 {
			e.Data = make(map[string]string, len(r.Data))
			for k, v := range r.Data {
				e.Data[h.redact(r.redact, k)] = h.redact(r.redact, v)
			}
		}
		out.Entries[r.Name] = e
	}
	b, err := json.Marshal(out)
	if err != nil { // cannot happen: strings, statuses and maps of them
		return []byte(`{"status":"Unhealthy"}`)
	}
	return append(b, '\n')
}
