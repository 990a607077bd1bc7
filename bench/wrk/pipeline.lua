-- wrk script: sends PIPELINE_DEPTH (default 16) GET / requests in one write and waits for as many
-- responses before the next write. wrk counts the requests in the string it is given, so the
-- reported requests/s and latencies are per request.
-- Usage: wrk -t1 -c100 -d10s --latency -s bench/wrk/pipeline.lua http://127.0.0.1:<port>/ [-- depth]
init = function(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
