-- Rotates through the request paths listed (one per line) in the file named by WRK_PATHS,
-- sending the API key from WRK_API_KEY. Each wrk thread starts at a different offset.
local paths = {}
local counter = 0

function init(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], { ["X-API-Key"] = os.getenv("WRK_API_KEY") })
end
