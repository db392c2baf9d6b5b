// A TypeScript program using the component through the SDK generated from the vmcp schema
// (sdk/nodejs, copied next to this file as ./sdk), run inline through the Automation API:
// no Node language host is needed. The example group is read from the cluster; a group this
// program declares itself is found in the same `up` through dependsOn.
//
//   node program.js preview|up|destroy SETTINGS.json   prints one JSON line: outputs and steps
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import * as vmcp from "./sdk";

interface Settings {
    kubeconfig: string; // contents
    namespace: string;
    engineRoot: string; // the directory holding bin/pulumi
    stateDir: string;
    workDir: string;
    expectNoChanges?: boolean;
}

const API_VERSION = "toolhive.stacklok.dev/v1beta1";

// No @pulumi/kubernetes here (its install script downloads the plugin): the provider and the
// group's objects as the engine sees them, a provider resource and custom resources by type.
class KubernetesProvider extends pulumi.ProviderResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("kubernetes", name, props);
    }
}

class KubernetesObject extends pulumi.CustomResource {
    constructor(kind: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(`kubernetes:${API_VERSION}:${kind}`, name, { apiVersion: API_VERSION, kind, ...props }, opts);
    }
}

function program(s: Settings): () => Promise<Record<string, unknown>> {
    return async () => {
        const kubeconfig = pulumi.secret(s.kubeconfig);
        const cluster = new KubernetesProvider("cluster", {
            kubeconfig,
            context: "vmcp-test",
            enableConfigMapMutable: "true",
        });
        const engTools = new vmcp.VirtualMCPServer(
            "eng-tools",
            {
                namespace: s.namespace,
                group: "engineering-team",
                name: "eng-tools",
                kubeconfig,
                context: "vmcp-test",
                replicas: 2,
                serviceType: vmcp.ServiceType.ClusterIP,
                operational: { failureHandling: { unhealthyThreshold: 4 } },
            },
            { providers: [cluster] },
        );
        const on = { provider: cluster };
        const meta = (name: string) => ({ name, namespace: s.namespace });
        const group = new KubernetesObject("MCPGroup", "platform-team", { metadata: meta("platform-team"), spec: {} }, on);
        const entries = [
            ["docs", "streamable-http"],
            ["search", "sse"],
        ].map(
            ([name, transport]) =>
                new KubernetesObject(
                    "MCPServerEntry",
                    `entry-${name}`,
                    {
                        metadata: meta(name),
                        spec: {
                            remoteUrl: `https://${name}.example.com/mcp`,
                            transport,
                            groupRef: { name: "platform-team" },
                        },
                    },
                    on,
                ),
        );
        const platform = new vmcp.VirtualMCPServer(
            "platform",
            { namespace: s.namespace, group: "platform-team", kubeconfig, context: "vmcp-test" },
            { providers: [cluster], dependsOn: [group, ...entries] },
        );
        return {
            url: engTools.url,
            backendCount: engTools.backendCount,
            configChecksum: engTools.configChecksum,
            discoveredBackends: engTools.discoveredBackends,
            skippedBackends: engTools.skippedBackends,
            configMapName: engTools.configMapName,
            deploymentName: engTools.deploymentName,
            platformBackends: platform.discoveredBackends.apply((bs) => bs.map((b) => b.name)),
        };
    };
}

async function main(): Promise<void> {
    const [op, settingsFile] = process.argv.slice(2);
    const s: Settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
    const pulumiCommand = await PulumiCommand.get({ root: s.engineRoot, skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "ts", projectName: "vmcp-ts", program: program(s) },
        {
            workDir: s.workDir,
            pulumiCommand,
            projectSettings: { name: "vmcp-ts", runtime: "nodejs", backend: { url: `file://${s.stateDir}` } },
        },
    );
    const steps: string[][] = [];
    const onEvent = (event: EngineEvent) => {
        const m = event.resourcePreEvent?.metadata;
        if (m) steps.push([m.op, m.type, m.urn.split("::").pop() ?? ""]);
    };
    let result: Record<string, unknown>;
    if (op === "preview") {
        const r = await stack.preview({ onEvent, expectNoChanges: s.expectNoChanges });
        result = { changeSummary: r.changeSummary };
    } else if (op === "up") {
        const r = await stack.up({ onEvent });
        const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
        result = { outputs, secretOutputs: Object.keys(r.outputs).filter((k) => r.outputs[k].secret) };
    } else if (op === "destroy") {
        await stack.destroy({ onEvent });
        result = {};
    } else {
        throw new Error(`unknown operation ${op}`);
    }
    process.stdout.write(JSON.stringify({ ...result, steps }) + "\n");
}

main().catch((error) => {
    process.stderr.write(`${error}\n`);
    process.exit(1);
});
