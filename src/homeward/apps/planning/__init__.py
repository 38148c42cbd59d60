"""The campaign planner's Django shell: resources (train slots, coaches, drivers, escorts, kits), plan
runs in the background, the plan board, manifests (乘客信息登记表) and dispatch."""
