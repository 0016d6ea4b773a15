-- Argo CD health check for checkpointshare.io/CheckpointShare.
-- Argo CD runs it with gopher-lua (Lua 5.1): `obj` is the live object, the result is
-- hs = {status = Healthy | Progressing | Degraded | Suspended, message = "..."}.
-- The rules read the kstatus conditions the operator writes, first match wins:
--   1. no status yet, or status.observedGeneration behind metadata.generation: Progressing
--      (the status describes an older spec, so nothing below can be trusted yet).
--   2. Stalled=True: Degraded, with its reason and message (a human must act).
--   3. Ready=True: Healthy (also when suspended: nothing is out of line).
--   4. spec.suspend: Suspended.
--   5. Reconciling=True: Progressing.
--   6. Ready=False: Degraded if its reason is one that needs a human (the Stalled reasons),
--      else Progressing; no Ready condition: Progressing.
local hs = {}

local terminal = {
  Unauthorized = true,
  Forbidden = true,
  CheckpointNotFound = true,
  InvalidProject = true,
  OwningProject = true,
}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  local reason = condition.reason or ""
  local message = condition.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= "" then
    return message
  end
  if reason ~= "" then
    return reason
  end
  return fallback
end

local status = obj.status
local conditions = nil
if status ~= nil then
  conditions = status.conditions
end
local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
local suspended = obj.spec ~= nil and obj.spec.suspend == true

local stalled = findCondition(conditions, "Stalled")
local ready = findCondition(conditions, "Ready")
local reconciling = findCondition(conditions, "Reconciling")

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
elseif generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
elseif stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
elseif suspended then
  hs.status = "Suspended"
  hs.message = "Suspended: no grants or revocations are made"
elseif reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
elseif ready ~= nil and ready.status == "False" and terminal[ready.reason or ""] then
  hs.status = "Degraded"
  hs.message = describe(ready, "Not ready")
elseif ready ~= nil then
  hs.status = "Progressing"
  hs.message = describe(ready, "Not ready")
else
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
end

return hs
