-- wrk script for loadtest/wrk_compare.py: every request POSTs a new form.
-- WRK_SLOTS names a file of form bodies, one per (TPS, contest) slot, each
-- with one "%s" where the submission_id goes; request i takes slot i modulo
-- the number of slots and submission_id WRK_RUN-i, so every request is a new
-- form (a slot's later forms are its witness's corrections) and every run of
-- the same length sends the same forms in the same order.
-- WRK_TOKEN is the bearer token (an admin's, scope 62, may submit anywhere).
local slots, n, i = {}, 0, 0
local run = os.getenv("WRK_RUN") or "wrk"

wrk.method = "POST"
wrk.path = "/api/v1/forms"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("WRK_TOKEN") or "")

function init(args)
   for line in io.lines(os.getenv("WRK_SLOTS")) do
      n = n + 1
      slots[n] = line
   end
end

function request()
   i = i + 1
   local body = string.format(slots[(i - 1) % n + 1], run .. "-" .. i)
   return wrk.format(nil, nil, nil, body)
end
