-- Two days of workload on small.lua: inquiries, new residents with code acquisition, the
-- nightly replica batch, and every invariant.
workload { inquiries_per_day = 400, new_residents_per_day = 40, batch_share = 0.05 }
finish "2d"
expect("the nightly batch registered replicas", function(r) return r.flows.replica.ok > 40, r.flows.replica.ok end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
expect("provisions decrypt across key rotations", function(r)
  local f = r.flows.inquiry
  return f.integrity == 0 and f.ok > 0, json_encode(f)
end)
