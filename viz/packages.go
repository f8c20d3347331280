package viz

// DebianPackages are the Debian (and Ubuntu) packages that building with the
// pixel tag needs: the OpenGL and X11 headers for GLFW. Xvfb and ImageMagick
// are only for running the window headless and taking screenshots in tests.
const DebianPackages = "libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev"
