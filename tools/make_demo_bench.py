#!/usr/bin/env python3
"""Writes scenes/workspaces/demo_bench.gltf: the demo workspace's model (a
workbench with a small machine on it) as glTF 2.0 with its buffer embedded
(one file, no textures). Boxes only, metres, +Y up, the bench's front faces
+Z. Run from the repository root; the output is committed."""
import base64, json, struct

def box(cx, cy, cz, sx, sy, sz):
    """24 vertices (flat normals) and 36 indices of an axis-aligned box."""
    pos, nrm, idx = [], [], []
    faces = [((1, 0, 0), (0, 1, 0), (0, 0, 1)), ((-1, 0, 0), (0, 0, 1), (0, 1, 0)),
             ((0, 1, 0), (0, 0, 1), (1, 0, 0)), ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
             ((0, 0, 1), (1, 0, 0), (0, 1, 0)), ((0, 0, -1), (0, 1, 0), (1, 0, 0))]
    h = (sx / 2, sy / 2, sz / 2)
    for n, u, v in faces:
        base = len(pos)
        for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            p = [cx, cy, cz][:]
            for k in range(3):
                p[k] += (n[k] + a * u[k] + b * v[k]) * h[k]
            pos.append(p)
            nrm.append(list(n))
        # counter-clockwise seen from outside (u x v == n for every face)
        idx += [base, base + 1, base + 2, base, base + 2, base + 3]
    return pos, nrm, idx

def merge(boxes):
    pos, nrm, idx = [], [], []
    for b in boxes:
        p, n, i = box(*b)
        idx += [len(pos) + k for k in i]
        pos += p
        nrm += n
    return pos, nrm, idx

parts = {
    # bench: top 1.2 x 0.05 x 0.6 at 0.9 m, four legs
    "bench": ([(0, 0.875, 0, 1.2, 0.05, 0.6)] +
              [(x, 0.425, z, 0.05, 0.85, 0.05) for x in (-0.55, 0.55) for z in (-0.25, 0.25)],
              [0.62, 0.45, 0.28, 1.0]),
    "machine": ([(0.15, 1.05, -0.05, 0.4, 0.3, 0.3), (-0.25, 0.95, 0.1, 0.2, 0.1, 0.2)], [0.35, 0.42, 0.5, 1.0]),
    "stop_button": ([(0.28, 1.12, 0.11, 0.06, 0.04, 0.03)], [0.85, 0.1, 0.08, 1.0]),
}

blob = bytearray()
gltf = {"asset": {"version": "2.0", "generator": "tools/make_demo_bench.py"}, "scene": 0,
        "scenes": [{"nodes": [0]}], "nodes": [{"name": "workspace", "children": []}],
        "meshes": [], "materials": [], "accessors": [], "bufferViews": []}
for name, (boxes, color) in parts.items():
    pos, nrm, idx = merge(boxes)
    acc = []
    for data, fmt, comp, typ, target in ((pos, "3f", 5126, "VEC3", 34962), (nrm, "3f", 5126, "VEC3", 34962),
                                         (idx, "H", 5123, "SCALAR", 34963)):
        while len(blob) % 4:
            blob.append(0)
        start = len(blob)
        for d in data:
            blob += struct.pack("<" + fmt, *(d if isinstance(d, list) else [d]))
        gltf["bufferViews"].append({"buffer": 0, "byteOffset": start, "byteLength": len(blob) - start, "target": target})
        a = {"bufferView": len(gltf["bufferViews"]) - 1, "componentType": comp, "count": len(data), "type": typ}
        if typ == "VEC3" and data is pos:
            a["min"] = [min(p[k] for p in pos) for k in range(3)]
            a["max"] = [max(p[k] for p in pos) for k in range(3)]
        gltf["accessors"].append(a)
        acc.append(len(gltf["accessors"]) - 1)
    gltf["materials"].append({"name": name, "pbrMetallicRoughness": {"baseColorFactor": color, "metallicFactor": 0.0}})
    gltf["meshes"].append({"name": name, "primitives": [{"attributes": {"POSITION": acc[0], "NORMAL": acc[1]},
                                                         "indices": acc[2], "material": len(gltf["materials"]) - 1}]})
    gltf["nodes"].append({"name": name, "mesh": len(gltf["meshes"]) - 1})
    gltf["nodes"][0]["children"].append(len(gltf["nodes"]) - 1)
gltf["buffers"] = [{"byteLength": len(blob),
                    "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(blob)).decode()}]
with open("scenes/workspaces/demo_bench.gltf", "w") as f:
    json.dump(gltf, f, indent=1)
    f.write("\n")
