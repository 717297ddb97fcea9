#!/usr/bin/env bash
# Builds Vigil's libFuzzer targets (Linux; the Swift toolchain's -sanitize=fuzzer) straight from the
# parser sources with swiftc, instrumented with AddressSanitizer, into .build/fuzz/.
#   bash tools/fuzz/build.sh            # all targets
# Then run them with tools/fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/fuzz
mkdir -p "$out/modules"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6)

# VigilAnalytics is a dependency-free module: built once as a library for the targets that import it.
swiftc "${flags[@]}" -emit-library -static -emit-module -module-name VigilAnalytics \
    -emit-module-path "$out/modules/VigilAnalytics.swiftmodule" -o "$out/modules/libVigilAnalytics.a" \
    Sources/VigilAnalytics/*.swift

build() {
    local name=$1; shift
    swiftc "${flags[@]}" -module-name "Fuzz_$name" -I "$out/modules" -L "$out/modules" "$@" "tools/fuzz/Targets/$name.swift" \
        -o "$out/$name"
    echo "built $out/$name"
}
build json Sources/VigilCore/JSONParser.swift Sources/VigilCore/JSONValue.swift
build realtime Sources/VigilCore/Realtime/RealtimeJSONReader.swift Sources/VigilCore/Realtime/RealtimeUTF8.swift
build timestamp Sources/VigilCore/Timestamp.swift
build actigraphy -lVigilAnalytics Sources/VigilCore/Actigraphy/ActigraphyFile.swift Sources/VigilCore/Timestamp.swift
build safetensors Sources/VigilPAT/SafeTensorsFile.swift Sources/VigilPAT/PATModelError.swift
