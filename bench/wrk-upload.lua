-- wrk script: POSTs the file named by UPLOAD as an image/jpeg body with the
-- API key from KEY.
local f = assert(io.open(os.getenv("UPLOAD"), "rb"))
local data = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = data
wrk.headers["Content-Type"] = "image/jpeg"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
