#include "onnx_placeholder.h"
