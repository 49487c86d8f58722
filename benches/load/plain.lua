-- wrk script of the load kit: fixed requests (headers from -H); prints the LOADKIT line.
local summary = dofile(os.getenv("LOAD_KIT_DIR") .. "/summary.lua")
done = summary.done
