// vMCP in static mode for one MCPGroup: ConfigMap, Deployment, RBAC and Service.
package vmcp
