-- wrk script: POSTs the lines of BODIES (an environment variable naming a
-- file) in turn, each as an application/json body, with the API key from
-- KEY. Each connection starts at a different line.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  bodies[#bodies + 1] = line
end
local key = os.getenv("KEY")
local counter = 0

function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end

local i = 0
function request()
  i = i + 1
  local body = bodies[(offset + i) % #bodies + 1]
  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. key,
                                  ["Content-Type"] = "application/json"}, body)
end
